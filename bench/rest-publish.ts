import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { eventData } from '../src/bench/payload.ts'

/** Options of `runRestPublish`. */
export interface RestPublishOptions {
  /** Seconds of load timed, after `warmupSeconds` untimed. */
  seconds: number
  warmupSeconds: number
  /** Open connections the load generator keeps busy. */
  connections: number
}

/** What the REST publish run measured and checked. */
export interface RestPublishResult {
  /** 202 answers in the timed phase and their rate. */
  accepted: number
  seconds: number
  /** Answers other than 202 (should be 0), and connection errors. */
  rejected: number
  errors: number
  latencyMs: { p50: number; p99: number }
  /** CPU time while timed: the load generator (this process) and the server (null off Linux). */
  cpuMs: { load: number; server: number | null }
  /** Problems found by the checks; empty when every 202 is an event in the database. */
  problems: string[]
}

/**
 * `POST /webhooks/events` through the real `hookrelay serve` (API role: no worker, so only the
 * publish path is measured) on a SQLite file, one subscriber per event, loaded by autocannon
 * from this process while the server runs in its own. Afterwards the database must hold exactly
 * one event and one delivery per 202.
 */
export async function runRestPublish(options: RestPublishOptions): Promise<RestPublishResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-rest-'))
  const file = join(dir, 'rest.db')
  const adminKey = `bench_${randomBytes(18).toString('base64url')}`
  const port = await freePort()
  const server = startServer(['--port', String(port), '--database', file, '--admin-key', adminKey])
  try {
    const url = `http://127.0.0.1:${port}`
    await waitFor(`${url}/readyz`, server)
    const call = async (path: string, key: string, body: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
      return (await response.json()) as Record<string, unknown>
    }
    await call('/admin/tenants', adminKey, { id: 'bench' })
    const { key } = await call('/admin/tenants/bench/keys', adminKey, {
      roles: ['user', 'service'],
    })
    await call('/webhooks/subscriptions', key as string, {
      name: 'bench',
      events: ['bench.*'],
      // Never called: the API role runs no worker.
      config: { url: 'http://127.0.0.1:9/hooks' },
    })
    const load = (seconds: number) =>
      autocannon({
        url: `${url}/webhooks/events`,
        method: 'POST',
        connections: options.connections,
        duration: seconds,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'bench.event', data: eventData(1) }),
      })
    const warm = await load(options.warmupSeconds)
    const loadCpu = process.cpuUsage()
    const serverCpu = await processCpuMs(server.pid)
    const timed = await load(options.seconds)
    const loadUsed = process.cpuUsage(loadCpu)
    const serverUsed = await processCpuMs(server.pid)
    const accepted = timed['2xx']
    const problems: string[] = []
    const rejected = timed.non2xx
    if (rejected > 0) problems.push(`${rejected} publishes were not answered 202`)
    await stopServer(server)
    const stored = countStored(file)
    // autocannon stops with requests in flight: those may commit without their 202 counted.
    const answered = warm['2xx'] + accepted
    const inFlight = 2 * options.connections
    const fits = (n: number) => n >= answered && n <= answered + inFlight
    if (!fits(stored.events) || !fits(stored.deliveries)) {
      problems.push(
        `the database holds ${stored.events} events and ${stored.deliveries} deliveries for ` +
          `${answered} answered 202 (and at most ${inFlight} cut off in flight)`,
      )
    }
    return {
      accepted,
      seconds: timed.duration,
      rejected,
      errors: timed.errors,
      latencyMs: { p50: timed.latency.p50, p99: timed.latency.p99 },
      cpuMs: {
        load: (loadUsed.user + loadUsed.system) / 1000,
        server: serverCpu === null || serverUsed === null ? null : serverUsed - serverCpu,
      },
      problems,
    }
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The same load against `rest-baseline-server.ts` (Fastify validating the body and answering 202,
 * no key, no store): the most this machine could give a publish, measured in the same run.
 */
export async function runRestBaseline(
  options: RestPublishOptions,
): Promise<{ accepted: number; seconds: number }> {
  const port = await freePort()
  const script = fileURLToPath(new URL('./rest-baseline-server.ts', import.meta.url))
  const server = spawn(
    process.execPath,
    ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', script, String(port)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  try {
    const url = `http://127.0.0.1:${port}/webhooks/events`
    await waitFor(url, server, 'POST')
    const load = (seconds: number) =>
      autocannon({
        url,
        method: 'POST',
        connections: options.connections,
        duration: seconds,
        headers: { authorization: 'Bearer unused', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'bench.event', data: eventData(1) }),
      })
    await load(options.warmupSeconds)
    const timed = await load(options.seconds)
    return { accepted: timed['2xx'], seconds: timed.duration }
  } finally {
    await stopServer(server)
  }
}

function startServer(args: string[]): ChildProcess {
  const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))
  return spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir=.bench'] : []),
      '--experimental-strip-types',
      '--no-warnings=ExperimentalWarning',
      main,
      'serve',
      ...args,
      '--role',
      'api',
      '--rate-limit',
      '0',
      '--log-level',
      'warn',
      '--allow-private',
      '127.0.0.0/8',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
}

async function waitFor(url: string, server: ChildProcess, method = 'GET'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode})`)
    try {
      await fetch(url, { method })
      return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the server did not become ready in 10 s')
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await exited
}

/** User + system CPU of a process so far, from /proc (Linux); null where there is none. */
async function processCpuMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return (ticks * 1000) / clockTicks
  } catch {
    return null
  }
}

// USER_HZ: 100 on every Linux Node supports.
const clockTicks = 100

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

function countStored(file: string): { events: number; deliveries: number } {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const count = (table: string) =>
      db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE tenant = 'bench'`).get()?.n as number
    return { events: count('events'), deliveries: count('deliveries') }
  } finally {
    db.close()
  }
}
