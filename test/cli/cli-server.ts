import { after, before } from 'node:test'
import { pino } from 'pino'
import { type RunningServer, startServer } from '../../src/cli/start-server.ts'
import { callApi } from '../support/http.ts'
import { TestReceiver } from '../support/receiver.ts'
import { runCli } from './serve-process.ts'

/** The admin key every CLI test server accepts. */
export const adminKey = 'cli-test-admin-key-0001'

/**
 * A `hookrelay serve` in the test process: SQLite `:memory:` (or the file `database`), loopback
 * deliveries allowed.
 */
export function startTestServer(database = ':memory:'): Promise<RunningServer> {
  return startServer(
    {
      port: 0,
      host: '127.0.0.1',
      database,
      allowPrivateNetworks: ['127.0.0.0/8'],
      adminKey,
      role: 'all',
      rateLimit: 0,
      authFailureLimit: 0,
      trustProxy: [],
      shutdownGraceSeconds: 10,
      logLevel: 'silent',
    },
    { logger: pino({ level: 'silent' }), version: 'test', print: () => {} },
  )
}

/** How one `hookrelay` run ended. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Options of `hookrelay()`. */
export interface RunOptions {
  /** `HOOKRELAY_URL`; none when null. */
  url?: string | null
  /** `HOOKRELAY_KEY`; none when null. */
  key?: string | null
  /** Written to its stdin. */
  input?: string
  env?: Record<string, string>
}

/** Runs the real `hookrelay` binary with the server's URL and a key in its environment. */
export async function hookrelay(args: string[], options: RunOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = { ...options.env }
  if (options.url) env.HOOKRELAY_URL = options.url
  if (options.key) env.HOOKRELAY_KEY = options.key
  const cli = runCli(args, env, options.input)
  const code = await cli.exited
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** `run`'s stdout, after checking it exited 0 with nothing on stderr. */
export function ok(run: CliRun): string {
  if (run.code !== 0 || run.stderr !== '') {
    throw new Error(`hookrelay failed (${run.code}):\n${run.stderr}\n${run.stdout}`)
  }
  return run.stdout
}

/** Checks `run` failed with exactly one line on stderr, and no stack; answers that line. */
export function failure(run: CliRun): string {
  const lines = run.stderr.trimEnd().split('\n')
  if (run.code === 0 || lines.length !== 1 || /\bat .*:\d+:\d+/.test(run.stderr)) {
    throw new Error(`expected one error line and a non-zero exit (${run.code}):\n${run.stderr}`)
  }
  return lines[0]!
}

/** Calls the server's REST API directly, for a test's setup and checks; throws unless 2xx. */
export async function api<T = unknown>(
  server: { url: string },
  key: string,
  method: string,
  at: string,
  body?: unknown,
): Promise<T> {
  const answer = await callApi<T>(server, key, method, at, body)
  if (answer.status >= 300) throw new Error(`${method} ${at}: ${answer.status} ${answer.text}`)
  return answer.body ?? (undefined as T)
}

/** Creates tenant `id` through the REST API and answers a `user`+`service` key of it. */
export async function tenantKey(server: { url: string }, id: string): Promise<string> {
  await api(server, adminKey, 'POST', '/admin/tenants', { id })
  const created = await api<{ key: string }>(
    server,
    adminKey,
    'POST',
    `/admin/tenants/${id}/keys`,
    {
      roles: ['user', 'service'],
    },
  )
  return created.key
}

/** What `useCliServer` keeps for a test file. */
export interface CliFixture {
  server: RunningServer
  receiver: TestReceiver
  /** A `user`+`service` key of the tenant `acme`; empty when the file makes its own. */
  key: string
  /** Run options with the server's URL and `key`. */
  asTenant(): RunOptions
  /** Run options with the server's URL and the admin key. */
  asAdmin(): RunOptions
}

/**
 * Registers the hooks of a test file: one server and one receiver for the whole file, and unless
 * `tenant` is false the tenant `acme` with a key.
 */
export function useCliServer(options: { tenant?: boolean } = {}): CliFixture {
  const fixture: CliFixture = {
    key: '',
    asTenant: () => ({ url: fixture.server.url, key: fixture.key }),
    asAdmin: () => ({ url: fixture.server.url, key: adminKey }),
  } as CliFixture
  before(async () => {
    fixture.server = await startTestServer()
    fixture.receiver = await TestReceiver.start()
    if (options.tenant !== false) fixture.key = await tenantKey(fixture.server, 'acme')
  })
  after(async () => {
    await fixture.server.close()
    await fixture.receiver.close()
  })
  return fixture
}
