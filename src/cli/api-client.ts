import { CliError } from './cli-error.ts'
import { connectionFailure } from './net-address.ts'

/** Where the client calls, and as whom. */
export interface ApiClientOptions {
  /** The server's base URL, such as `http://127.0.0.1:8080`. */
  url: string
  /** The API key, sent as `Authorization: Bearer`. */
  key: string
  /** Sent as `Hookrelay-Tenant`: the tenant an admin key acts for. */
  tenant?: string
  /** How long one request may take. Default is 60 s (a subscription test may take 30 s). */
  timeoutMs?: number
}

/** Query parameters; `undefined` ones are left out. */
export type Query = Record<string, string | number | undefined>

/** The HTTP methods the CLI uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * A path with every interpolated value percent-encoded, so an id typed by a user stays one path
 * segment.
 *
 * @example
 * path`/webhooks/subscriptions/${id}/test`
 */
export function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, text, i) => out + encodeURIComponent(values[i - 1] ?? '') + text)
}

/**
 * The small REST client of the `hookrelay` commands, on the global `fetch` so the commands load
 * nothing heavy. Every failure becomes a one-line CliError: the server's problem details as
 * `<detail> (<code>, HTTP <status>)`, or why the server could not be reached.
 */
export class ApiClient {
  /** The base URL, without a trailing slash. */
  readonly url: string
  readonly #headers: Record<string, string>
  readonly #timeoutMs: number

  constructor(options: ApiClientOptions) {
    this.url = baseUrl(options.url)
    this.#headers = { authorization: `Bearer ${options.key}`, accept: 'application/json' }
    if (options.tenant !== undefined) this.#headers['hookrelay-tenant'] = options.tenant
    this.#timeoutMs = options.timeoutMs ?? 60_000
  }

  /** GET `path` with `query`; answers the parsed JSON. */
  get<T>(at: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', at, { query })
  }

  /** POST `body` as JSON to `path`; answers the parsed JSON. */
  post<T>(at: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', at, { body })
  }

  /** PUT `body` as JSON to `path`; answers the parsed JSON. */
  put<T>(at: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', at, { body })
  }

  /** DELETE `path`. */
  async delete(at: string): Promise<void> {
    await this.request('DELETE', at)
  }

  /** Calls the API; answers the parsed JSON body, or undefined for an empty one (204). */
  async request<T>(
    method: Method,
    at: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const target = new URL(this.url + at)
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value))
    }
    const headers = { ...this.#headers }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    let status: number
    let contentType: string
    let text: string
    try {
      const response = await fetch(target, {
        method,
        headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      })
      status = response.status
      contentType = response.headers.get('content-type') ?? ''
      text = await response.text()
    } catch (err) {
      throw this.#unreachable(err)
    }
    if (status >= 400) throw problemError(status, contentType, text, `${method} ${target.pathname}`)
    if (text === '') return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new CliError(`${this.url} answered HTTP ${status} with a body that is not JSON`)
    }
  }

  #unreachable(err: unknown): CliError {
    const error = err as { name?: string; message?: string; cause?: { code?: string } }
    if (error.name === 'TimeoutError') {
      return new CliError(
        `cannot reach ${this.url}: no answer within ${this.#timeoutMs / 1000} s`,
        { cause: err },
      )
    }
    // fetch throws a bare TypeError, without a cause, for a request it refuses to send at all.
    if (error.cause === undefined) {
      return new CliError(`cannot send the request: ${error.message ?? String(err)}`, {
        cause: err,
      })
    }
    const code = error.cause.code ?? ''
    const reason = connectionFailure(code) ?? (error.cause as Error).message ?? code
    return new CliError(`cannot reach ${this.url}: ${reason}`, { cause: err })
  }
}

function baseUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CliError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`)
  }
  return url.replace(/\/+$/, '')
}

/** The fields of RFC 9457 problem details the one line uses. */
interface ProblemFields {
  detail?: unknown
  title?: unknown
  code?: unknown
}

/** An error answer of the server, as one line, with its status and problem `code` kept. */
export class ApiError extends CliError {
  override name = 'ApiError'
  readonly status: number
  /** The problem details' `code`; null when the answer was not a problem. */
  readonly code: string | null

  constructor(message: string, status: number, code: string | null) {
    super(message)
    this.status = status
    this.code = code
  }
}

/**
 * The one line for an error answer: the problem details' `detail`, `code` and status; for an
 * answer that is not a problem (a proxy's error page, another server), the status and what was
 * called.
 */
export function problemError(
  status: number,
  contentType: string,
  text: string,
  request: string,
): ApiError {
  let problem: ProblemFields | null = null
  if (/json/.test(contentType)) {
    try {
      problem = JSON.parse(text) as ProblemFields | null
    } catch {}
  }
  const detail = problem?.detail ?? problem?.title
  if (typeof detail === 'string' && typeof problem?.code === 'string') {
    return new ApiError(`${detail} (${problem.code}, HTTP ${status})`, status, problem.code)
  }
  const snippet = text.trim().split('\n')[0]?.slice(0, 200) ?? ''
  const line = `${request} answered HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`
  return new ApiError(line, status, null)
}
