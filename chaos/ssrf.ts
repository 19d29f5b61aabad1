/**
 * The `ssrf` scenario: Hookrelay, with its default address policy, given every disguise of a
 * private address we know — encodings, IPv4 inside IPv6, private and metadata ranges, names from
 * /etc/hosts and DNS, DNS rebinding, parser confusions, redirects — inside a network namespace
 * made for the run, where each of those addresses has a receiver behind it and nothing can leave
 * the machine. Private addresses must never be reached, by API or worker; the public controls
 * must be, or the row proves nothing.
 *
 * The work happens in `ssrf-namespace.ts`, run under `unshare`; this side starts it, keeps it to
 * the budget and turns its JSON into the row.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { trackChild } from '../test/cli/serve-process.ts'
import type { ChaosContext, ChaosRow, Scenario } from './scenario.ts'
import type { NamespaceResult, Tally } from './ssrf-probe.ts'

const child = fileURLToPath(new URL('./ssrf-namespace.ts', import.meta.url))

/** The SSRF scenario of `npm run chaos`. */
export const ssrf: Scenario = {
  name: 'ssrf',
  budget: { quickMs: 8_000, fullMs: 40_000 },
  cannotRun() {
    if (process.platform !== 'linux') return 'ssrf needs Linux network namespaces'
    if (process.getuid?.() !== 0) return 'ssrf needs root, to make a network namespace'
    const probe = spawnSync('unshare', ['--net', '--mount', '--pid', '--fork', 'ip', '-V'], {
      encoding: 'utf8',
    })
    if (probe.status !== 0) {
      return `ssrf cannot make a namespace with unshare and ip: ${(probe.stderr ?? String(probe.error)).trim()}`
    }
    return null
  },
  async run(context) {
    const result = await runInNamespace(context)
    const { row, details } = judge(result)
    for (const line of details) context.progress(line)
    return [row]
  },
}

/**
 * Runs the namespace child and resolves to its result. `--kill-child` ends the child when
 * `unshare` ends, and the child is PID 1 of its namespace, so everything it started ends with it.
 */
async function runInNamespace(context: ChaosContext): Promise<NamespaceResult> {
  await mkdir(context.dir, { recursive: true })
  const settings = { dir: context.dir, quick: context.quick, deadline: context.deadline }
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('HOOKRELAY_')),
  )
  const unshare = trackChild(
    spawn(
      'unshare',
      [
        '--net',
        '--mount',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        process.execPath,
        '--experimental-strip-types',
        '--no-warnings=ExperimentalWarning',
        child,
        JSON.stringify(settings),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  )
  let stdout = ''
  let stderr = ''
  unshare.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  unshare.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    const lines = stderr.split('\n')
    stderr = lines.pop()!
    for (const line of lines) context.progress(line)
  })
  // A child long past its deadline is killed: the row then fails, saying so. The child itself
  // waits at most 10 s for deliveries after the deadline, so this only ends a stuck one.
  const grace = 30_000
  const timer = setTimeout(() => unshare.kill('SIGKILL'), context.deadline - Date.now() + grace)
  const code = await new Promise<number | null>((resolve) => unshare.on('close', resolve))
  clearTimeout(timer)
  if (stderr !== '') context.progress(stderr)
  const line = stdout.trim().split('\n').at(-1) ?? ''
  if (code !== 0 || !line.startsWith('{')) {
    throw new Error(`the namespace child ended with ${code ?? 'a signal'} and no result`)
  }
  return JSON.parse(line) as NamespaceResult
}

/**
 * The row — the figures, and a failure for anything reached, unreached or untested — and the
 * details behind it for the progress lines: every private address reached, with the exact URL.
 */
export function judge(result: NamespaceResult): { row: ChaosRow; details: string[] } {
  const failures: string[] = []
  const details = [
    Object.entries(result.phases)
      .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
      .join(', '),
  ]
  const privates = result.targets.filter((t) => t.kind === 'private')
  const controls = result.targets.filter((t) => t.kind === 'control')
  for (const hit of result.privateHits) {
    details.push(
      `REACHED ${hit.address} port ${hit.port}` +
        (hit.url === null ? ' (a TCP connection)' : ` from ${JSON.stringify(hit.url)}`),
    )
  }
  if (result.privateHits.length > 0) {
    const urls = [...new Set(result.privateHits.map((hit) => hit.url ?? `port ${hit.port}`))]
    failures.push(
      `${result.privateHits.length} requests reached private addresses, from ` +
        `${urls
          .slice(0, 3)
          .map((url) => JSON.stringify(url))
          .join(', ')}` +
        (urls.length > 3 ? ` and ${urls.length - 3} more (listed above)` : ''),
    )
  }
  for (const control of controls) {
    if (control.create.status !== 201) {
      failures.push(`control ${control.url} refused at create (${control.create.status})`)
    } else if (control.publicRequests === 0 || control.deliveries.answered === 0) {
      failures.push(`control ${control.url} not reached`)
    }
  }
  for (const target of result.targets) {
    const others = [...target.deliveries.other, ...target.pings.other, ...target.resends.other]
    for (const error of new Set(others)) {
      failures.push(`${target.name}: neither refused nor answered (${error})`)
    }
    if (target.kind === 'redirect' && target.publicRequests === 0) {
      failures.push(`${target.name}: the redirect was never served`)
    }
  }
  for (const target of privates.filter((t) => t.passesCreate)) {
    if (target.create.status !== 201 || target.deliveries.refused === 0) {
      failures.push(`${target.name}: rebinding untried (create ${target.create.status})`)
    }
  }
  if (result.dnsQueries === 0) failures.push('no DNS query reached the namespace DNS server')
  if (result.unattempted > 0) failures.push(`${result.unattempted} deliveries never attempted`)
  const refusedAtDelivery = sum(privates, (t) => t.deliveries.refused)
  if (refusedAtDelivery === 0) failures.push('the worker never refused a delivery')

  const reachedControls = controls.filter((c) => c.publicRequests > 0).length
  const row: ChaosRow = {
    scenario: 'ssrf',
    store: 'sqlite',
    figures: [
      ['targets', result.targets.length],
      ['private', privates.length],
      ['refused at create', privates.filter((t) => t.create.status === 400).length],
      ['at update', privates.filter((t) => t.update.status === 400).length],
      ['deliveries refused', `${refusedAtDelivery}/${sum(privates, (t) => all(t.deliveries))}`],
      [
        'pings refused',
        `${sum(privates, (t) => t.pings.refused)}/${sum(privates, (t) => all(t.pings))}`,
      ],
      [
        're-sends refused',
        `${sum(privates, (t) => t.resends.refused)}/${sum(privates, (t) => all(t.resends))}`,
      ],
      ['reached', result.privateHits.length],
      [
        'public control reached',
        `${reachedControls === controls.length ? 'yes' : 'NO'} (${reachedControls}/${controls.length})`,
      ],
    ],
    failures,
  }
  return { row, details }
}

const all = (tally: Tally) => tally.refused + tally.answered + tally.other.length
const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((n, i) => n + of(i), 0)
