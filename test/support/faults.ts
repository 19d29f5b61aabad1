import { randomBytes } from 'node:crypto'
import { Pool } from 'undici'
import type { TestReceiver } from './receiver.ts'

/** The admin key the fault tests give `hookrelay serve`. */
export const adminKey = `faults_admin_${randomBytes(12).toString('hex')}`

/**
 * The flags of `hookrelay serve` in the fault tests and the chaos scenarios: `database`, a free
 * port, `adminKey`, no API rate limit (they publish faster than a client would), and deliveries
 * allowed to loopback, where their receivers listen.
 */
export function serveFlags(database: string): string[] {
  return [
    '--database',
    database,
    '--port',
    '0',
    '--admin-key',
    adminKey,
    '--rate-limit',
    '0',
    '--allow-private',
    '127.0.0.0/8',
  ]
}

/** A fresh schema (`hr_t_<hex>`) and the database URL that selects it. */
export function freshDatabase(url: string): { schema: string; database: string } {
  const schema = `hr_t_${randomBytes(6).toString('hex')}`
  const database = new URL(url)
  database.searchParams.set('schema', schema)
  return { schema, database: database.toString() }
}

/** Resolves once `check` holds, polling every `everyMs`; rejects naming `what` after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + ms
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** One answer of the REST API, or `status: 0` when the request itself failed. */
export interface Answer {
  status: number
  contentType: string
  retryAfter: string | undefined
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  /** The request's error when it got no answer (a dropped connection, a refused one). */
  error?: Error
}

/** A keep-alive HTTP client of one `hookrelay serve`. */
export class ApiClient {
  readonly #pool: Pool

  constructor(url: string, connections = 16) {
    this.#pool = new Pool(url, { connections })
  }

  /** Sends `body` as JSON with `Authorization: Bearer <key>`; never throws. */
  async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    key?: string,
    body?: unknown,
  ): Promise<Answer> {
    try {
      const res = await this.#pool.request({
        method,
        path,
        headers: {
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.body.text()
      const header = (name: string) => {
        const value = res.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // not JSON: kept as text
      }
      return {
        status: res.statusCode,
        contentType: header('content-type') ?? '',
        retryAfter: header('retry-after'),
        body: parsed,
      }
    } catch (error) {
      return {
        status: 0,
        contentType: '',
        retryAfter: undefined,
        body: null,
        error: error as Error,
      }
    }
  }

  /** Publishes `order.created` with `data`. */
  publish(key: string, data: unknown): Promise<Answer> {
    return this.call('POST', '/webhooks/events', key, { type: 'order.created', data })
  }

  async close(): Promise<void> {
    await this.#pool.close()
  }
}

/**
 * Creates the tenant `acme`, a key with both roles, and a subscription of it to `order.*` at
 * `receiverUrl`; resolves to the key.
 */
export async function setUpSubscriber(api: ApiClient, receiverUrl: string): Promise<string> {
  const key = await setUpTenant(api)
  await subscribe(api, key, { name: 'faults', events: ['order.*'], config: { url: receiverUrl } })
  return key
}

/** Creates the tenant `acme` and a key of it with both roles; resolves to the key. */
export async function setUpTenant(api: ApiClient): Promise<string> {
  expectStatus(await api.call('POST', '/admin/tenants', adminKey, { id: 'acme' }), 201, 'tenant')
  const created = await api.call('POST', '/admin/tenants/acme/keys', adminKey, {
    roles: ['user', 'service'],
  })
  expectStatus(created, 201, 'key')
  return created.body.key as string
}

/**
 * Creates a subscription with `body` (the REST create body) as `key`; resolves to its id. Throws
 * naming the answer when it is not 201.
 */
export async function subscribe(
  api: ApiClient,
  key: string,
  body: { name: string; events: string[]; config: { url: string } } & Record<string, unknown>,
): Promise<string> {
  const created = await api.call('POST', '/webhooks/subscriptions', key, body)
  expectStatus(created, 201, `subscription ${body.name}`)
  return created.body.id as string
}

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
}

/** The distinct event ids (`webhook-id`) `receiver` got, and how many requests it got in all. */
export function receivedIds(receiver: TestReceiver): { ids: Set<string>; requests: number } {
  const ids = new Set<string>()
  for (const request of receiver.received) {
    const id = request.headers['webhook-id']
    if (typeof id === 'string') ids.add(id)
  }
  return { ids, requests: receiver.received.length }
}

/** Whether every one of `ids` has reached `receiver`. */
export function allReceived(receiver: TestReceiver, ids: Iterable<string>): boolean {
  const got = receivedIds(receiver).ids
  for (const id of ids) if (!got.has(id)) return false
  return true
}
