/**
 * The inside of the SSRF scenario, run by `ssrf.ts` as root under
 * `unshare --net --mount --pid --fork`: a network namespace where only `lo` exists, so nothing can
 * leave the machine, a mount namespace for a private /etc/hosts and /etc/resolv.conf, and a PID
 * namespace whose processes all end with this one.
 *
 * It puts public and private addresses on `lo`, answers HTTP on port 80 of every one of them (and
 * counts TCP connections on 443), serves DNS on 127.0.0.1:53, plants subscriptions to every target
 * under the permissive policy (as an earlier deployment with `allowPrivateNetworks: true` would
 * have left them), then runs `hookrelay serve` with the DEFAULT policy on that database and tries
 * every target through its API and its worker. Prints one JSON line (`NamespaceResult`) on stdout;
 * progress goes to stderr.
 *
 * Argument: `{"dir": "...", "quick": false, "deadline": <ms since the epoch>}`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { silentLogger } from '../src/core/logger.ts'
import { createHookrelay } from '../src/index.ts'
import { type Served, startServe, stop } from '../test/cli/serve-process.ts'
import { adminKey, ApiClient } from '../test/support/faults.ts'
import { TestReceiver } from '../test/support/receiver.ts'
import { startDnsServer } from './ssrf-dns.ts'
import { type NamespaceResult, type PrivateHit, Probe } from './ssrf-probe.ts'
import {
  hostsFile,
  privateAddresses,
  publicAddresses,
  targetOfPath,
  targets,
  targetUrl,
  tokenOf,
  zoneAnswer,
  type ZoneState,
} from './ssrf-targets.ts'

interface Settings {
  dir: string
  quick: boolean
  deadline: number
}

const settings = JSON.parse(process.argv[2] ?? '{}') as Settings
const say = (line: string) => process.stderr.write(`${line}\n`)

/**
 * Refuses to touch anything unless this is the namespace made for the run: PID 1 of its own PID
 * namespace, with no network interface but `lo`. Run anywhere else, it would add addresses to the
 * machine's loopback and mount over its /etc/hosts.
 */
function assertIsolated(): void {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() !== '')
  // A new namespace may also hold fallback tunnels (sit0, ip6tnl0), which stay down.
  const upBesidesLo = links.filter((line) => !/^\d+: lo:/.test(line) && /[<,]UP[,>]/.test(line))
  if (process.pid !== 1 || upBesidesLo.length > 0) {
    throw new Error(
      `not in a namespace of its own (pid ${process.pid}; links: ${links.join(' | ')}): ` +
        'run it through chaos/ssrf.ts',
    )
  }
}

/** Brings up `lo` with every address, and mounts the private hosts file and resolver settings. */
function isolate(dir: string): void {
  // One `ip -batch` for all of them: an `ip` process per address costs a second in all.
  const commands = ['link set lo up']
  for (const address of [...publicAddresses, ...privateAddresses]) {
    const v6 = address.includes(':')
    commands.push(`addr add ${address}/${v6 ? 128 : 32} dev lo`)
  }
  execFileSync('ip', ['-batch', '-'], {
    input: commands.join('\n'),
    stdio: ['pipe', 'ignore', 'pipe'],
  })
  mkdirSync(dir, { recursive: true })
  const files = {
    '/etc/hosts': hostsFile,
    // One quick try: the server always answers, and a lost answer must not stall a lookup 5 s.
    '/etc/resolv.conf': 'nameserver 127.0.0.1\noptions timeout:1 attempts:2\n',
  }
  for (const [path, text] of Object.entries(files)) {
    const copy = join(dir, path.replaceAll('/', '_'))
    writeFileSync(copy, text)
    execFileSync('mount', ['--bind', copy, path])
    if (readFileSync(path, 'utf8') !== text) throw new Error(`${path} was not replaced`)
  }
}

/** Counts TCP connections on `port` of every address (for `https://` targets), then drops them. */
async function countConnections(port: number): Promise<{ server: Server; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((socket) => {
    seen.push(socket.localAddress ?? '')
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(port, '::', resolve))
  return { server, seen }
}

/** `::ffff:10.1.2.3` as `10.1.2.3`: the address a dual-stack socket was reached at. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/**
 * Writes subscriptions to every target straight through the library with private networks
 * allowed: what an older deployment, or one that allowed them for a while, leaves in its store.
 * Resolves to an API key of the tenant `acme` and the planted subscriptions with their targets.
 */
async function plant(database: string): Promise<{ key: string; planted: [string, number][] }> {
  const hooks = await createHookrelay({
    database,
    allowPrivateNetworks: true,
    worker: false,
    logger: silentLogger,
  })
  try {
    await hooks.tenants.create({ id: 'acme' })
    const { key } = await hooks.keys.create({ tenant: 'acme', roles: ['user', 'service'] })
    const planted: [string, number][] = []
    for (const [index] of targets.entries()) {
      const url = targetUrl(index, 'p')
      const created = await hooks.subscriptions
        .create({ tenant: 'acme', name: tokenOf(index, 'p'), events: ['order.*'], config: { url } })
        .catch(() => null) // not a URL at all (credentials, a zone id): nothing to plant
      if (created !== null) planted.push([created.id, index])
    }
    return { key, planted }
  } finally {
    await hooks.close()
  }
}

async function main(): Promise<NamespaceResult> {
  const phases: Record<string, number> = {}
  let mark = performance.now()
  const phase = (name: string) => {
    const now = performance.now()
    phases[name] = Math.round(now - mark)
    mark = now
  }
  assertIsolated()
  isolate(settings.dir)
  const zone: ZoneState = { switched: false, alternations: 0 }
  const dns = await startDnsServer('127.0.0.1', 53, (name, type) => zoneAnswer(zone, name, type))
  const web = await TestReceiver.start('::', 80)
  const tls = await countConnections(443)
  for (const [index, target] of targets.entries()) {
    if (target.redirect === undefined) continue
    for (const phase of ['p', 'c'] as const) {
      const token = tokenOf(index, phase)
      web.always(`/${token}`, {
        kind: 'status',
        status: target.redirect.status,
        headers: { location: target.redirect.location.replace('{path}', token) },
      })
    }
  }
  let served: Served | null = null
  let api: ApiClient | null = null
  try {
    phase('namespace')
    const database = join(settings.dir, 'ssrf.db')
    const { key, planted } = await plant(database)
    phase('plant')
    // No --allow-private and no HOOKRELAY_* variables (startServe drops them): the default policy.
    served = await startServe(['--port', '0', '--database', database, '--admin-key', adminKey])
    api = new ApiClient(served.url)
    const live = new Probe(api, key)
    for (const [id, index] of planted) live.planted(id, index)
    phase('serve')
    say(`serve is up; trying ${targets.length} targets`)
    await live.createAll()
    await live.updateAll()
    phase('create')
    // Rebinding: the names that were public when the subscriptions were checked turn private.
    zone.switched = true
    const events = await live.publish(settings.quick ? 1 : 5)
    await live.pingAll(settings.quick ? 1 : 3)
    phase('pings')
    // Until the deadline, but at least 10 s: a loaded machine makes the run late, not wrong.
    const waitUntil = Math.max(settings.deadline, Date.now() + 10_000)
    const unattempted = await live.tallyDeliveries(events, waitUntil, !settings.quick)
    await live.resendAll()
    // A stray request (a followed redirect, a late retry) has a moment to arrive.
    await sleep(settings.quick ? 200 : 1_000)
    // Counted once Hookrelay has exited: nothing can arrive after the count.
    await stop(served)
    served = null
    phase('deliveries')
    const privateHits: PrivateHit[] = []
    const known = new Set(publicAddresses)
    for (const request of web.received) {
      const address = plainAddress(request.localAddress)
      const target = targetOfPath(request.path)
      if (!known.has(address)) {
        privateHits.push({ address, port: 80, path: request.path, url: target?.url ?? null })
      } else if (target !== null) {
        live.results[target.index]!.publicRequests++
      }
    }
    for (const local of tls.seen.map(plainAddress).filter((a) => !known.has(a))) {
      privateHits.push({ address: local, port: 443, path: '', url: null })
    }
    return {
      targets: live.results,
      privateHits,
      dnsQueries: dns.queries(),
      unattempted,
      phases,
    }
  } finally {
    await api?.close()
    if (served !== null) await stop(served)
    await web.close()
    tls.server.close()
    await dns.close()
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (error: unknown) => {
    say(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  },
)
