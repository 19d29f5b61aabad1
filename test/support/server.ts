import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Hookrelay, HookrelayOptions } from '../../src/index.ts'
import { buildServer, type ServerOptions } from '../../src/server/app.ts'
import { type TestClock, testHooks } from './engine.ts'
import { TestReceiver } from './receiver.ts'

/** The API keys of one tenant, one per mix of roles. */
export interface TenantKeys {
  /** Roles `user` and `service`. */
  both: string
  user: string
  service: string
}

/** A parsed JSON body, loosely typed: tests read fields they then assert on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any

/** The methods the REST API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD'

/** An answer of `call`: the status, headers, and the body parsed as JSON when it is JSON. */
export interface ApiResponse<T = Json> {
  status: number
  headers: LightMyRequestResponse['headers']
  body: T
  text: string
}

/** What `startServer` (and `useServer`, per test) gives a test. */
export interface ServerFixture {
  app: FastifyInstance
  hooks: Hookrelay
  clock: TestClock
  /** An admin key (no tenant). */
  adminKey: string
  keys: { acme: TenantKeys; globex: TenantKeys }
  /** Calls the app through `inject`, with `Authorization: Bearer <key>` unless `key` is null. */
  call<T = Json>(
    key: string | null,
    method: Method,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>
  /** Closes the app and the engine. */
  close(): Promise<void>
}

/** Options of `startServer`: the server's and the engine's. */
export interface StartOptions {
  server?: Omit<ServerOptions, 'hooks'>
  engine?: HookrelayOptions
}

/** The tenants every server fixture has. */
export const tenants = ['acme', 'globex'] as const

/**
 * A standalone server on a test engine (see `testHooks`: SQLite `:memory:`, loopback allowed, no
 * worker, a hand-moved clock), with an admin key and two tenants, `acme` and `globex`, each with a
 * user+service key, a user-only key and a service-only key. Not listening: use `call`.
 */
export async function startServer(options: StartOptions = {}): Promise<ServerFixture> {
  const { hooks, clock } = await testHooks(options.engine)
  let app: FastifyInstance
  try {
    app = await buildServer({ ...options.server, hooks })
  } catch (err) {
    await hooks.close()
    throw err
  }
  const admin = await hooks.keys.create({ tenant: null, roles: ['admin'], name: 'admin' })
  const keys = {} as Record<(typeof tenants)[number], TenantKeys>
  for (const tenant of tenants) {
    await hooks.tenants.create({ id: tenant, name: tenant.toUpperCase() })
    const both = await hooks.keys.create({ tenant, roles: ['user', 'service'] })
    const user = await hooks.keys.create({ tenant, roles: ['user'] })
    const service = await hooks.keys.create({ tenant, roles: ['service'] })
    keys[tenant] = { both: both.key, user: user.key, service: service.key }
  }
  return {
    app,
    hooks,
    clock,
    adminKey: admin.key,
    keys,
    call: (key, method, url, body, headers) => inject(app, key, method, url, body, headers),
    close: async () => {
      await app.close()
      await hooks.close()
    },
  }
}

/** Calls `app` through `inject` with a bearer key; parses JSON answers. */
export async function inject<T = Json>(
  app: FastifyInstance,
  key: string | null,
  method: Method,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const options: InjectOptions = {
    method,
    url,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
  }
  if (body !== undefined) options.payload = body as NonNullable<InjectOptions['payload']>
  return toApiResponse<T>(await app.inject(options))
}

/** An inject answer as an `ApiResponse`. */
export function toApiResponse<T = Json>(response: LightMyRequestResponse): ApiResponse<T> {
  const type = String(response.headers['content-type'] ?? '')
  const text = response.body
  const body = (/json/.test(type) && text !== '' ? JSON.parse(text) : text) as T
  return { status: response.statusCode, headers: response.headers, body, text }
}

/** What `useServer` keeps current for each test: a fresh server, and one receiver per file. */
export interface ServerTestFixture extends ServerFixture {
  receiver: TestReceiver
}

/**
 * Registers the hooks of a test file: one `TestReceiver` for the file, a fresh server (see
 * `startServer`) for each test, closed after it, and an empty request log for each test.
 */
export function useServer(options: StartOptions = {}): ServerTestFixture {
  const fixture = {} as ServerTestFixture
  before(async () => {
    fixture.receiver = await TestReceiver.start()
  })
  after(() => fixture.receiver.close())
  beforeEach(async () => {
    const receiver = fixture.receiver
    Object.assign(fixture, await startServer(options), { receiver })
    receiver.received.length = 0
  })
  afterEach(() => fixture.close())
  return fixture
}

/**
 * Asserts an RFC 9457 answer: the status, `application/problem+json`, the stable `code`, and the
 * `field` when given (`null`: no field at all).
 */
export function assertProblem(
  response: ApiResponse,
  status: number,
  code: string,
  field?: string | null,
): void {
  const where = `${response.status} ${response.text}`
  assert.equal(response.status, status, where)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/, where)
  assert.equal(response.body.status, status, where)
  assert.equal(response.body.code, code, where)
  assert.equal(typeof response.body.title, 'string', where)
  assert.equal(typeof response.body.type, 'string', where)
  if (field === null) assert.equal(response.body.field, undefined, where)
  else if (field !== undefined) assert.equal(response.body.field, field, where)
}

/** A create body for a subscription to `events` at `url`. */
export function subscriptionBody(
  url: string,
  events: string[] = ['order.created'],
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  return { name: 'Orders', events, config: { url }, ...more }
}

/** Creates a subscription as acme's user through the API, asserting the 201. */
export async function createAsAcme(t: ServerFixture, body: Record<string, unknown>): Promise<Json> {
  const response = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', body)
  assert.equal(response.status, 201, response.text)
  return response.body
}

/** Publishes as acme's service key through the API, asserting the 202. */
export async function publishAsAcme(
  t: ServerFixture,
  type: string,
  data: unknown = { id: 1 },
): Promise<{ id: string; type: string; deliveries: number }> {
  const response = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', { type, data })
  assert.equal(response.status, 202, response.text)
  return response.body
}
