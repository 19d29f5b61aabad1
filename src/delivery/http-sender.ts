import { type Dispatcher, request } from 'undici'
import { type CallResult, isSuccess } from '../core/attempt-outcome.ts'
import { parseRetryAfter } from '../core/retry-schedule.ts'
import { isUnsafeUrlError, type SsrfGuard } from './ssrf-guard.ts'

/** The most of a response body that is read and kept: 4 KiB. */
export const maxResponseBytes = 4096

/** One POST to make. */
export interface SendRequest {
  url: string
  body: string
  headers: Record<string, string>
  /** Milliseconds before the attempt is abandoned. */
  timeoutMs: number
}

/** What a POST produced: the call result plus what gets recorded of the answer. */
export interface SendResult extends CallResult {
  error: string | null
  durationMs: number
  /** The headers sent, as recorded with the attempt. */
  requestHeaders: Record<string, string>
  responseHeaders: Record<string, string>
  responseBody: string
}

/** Options of `HttpSender`. */
export interface HttpSenderOptions {
  guard: SsrfGuard
  /** Sent as `user-agent`. */
  userAgent: string
  /** Keep-alive connections per origin at most. Default is 128. */
  connections?: number
}

/**
 * Sends webhook POSTs with undici over keep-alive pools that dial only addresses the SSRF guard
 * checked. Never follows redirects; reads at most 4 KiB of a response, then drops the connection.
 */
export class HttpSender {
  readonly #guard: SsrfGuard
  readonly #dispatcher: Dispatcher
  readonly #userAgent: string
  // The literal-address check depends only on the URL, and URLs repeat on every delivery: one
  // that passed is not awaited again (an await per request is a measurable share of its cost).
  readonly #passedUrls = new Set<string>()

  constructor(options: HttpSenderOptions) {
    this.#guard = options.guard
    this.#userAgent = options.userAgent
    this.#dispatcher = options.guard.dispatcher({
      connections: options.connections ?? 128,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    })
  }

  /** POSTs once and reports what happened; never throws. */
  async send(req: SendRequest): Promise<SendResult> {
    const started = performance.now()
    // A cleared timer, not AbortSignal.timeout: at thousands of attempts a second, timeout
    // signals would pile up for the full timeout each.
    const controller = new AbortController()
    const { signal } = controller
    const timer = setTimeout(() => controller.abort(), req.timeoutMs)
    const requestHeaders = {
      ...req.headers,
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
    }
    try {
      if (!this.#passedUrls.has(req.url)) await this.#checkLiteral(req.url)
      const response = await request(req.url, {
        method: 'POST',
        dispatcher: this.#dispatcher,
        headers: requestHeaders,
        body: req.body,
        signal,
      })
      const responseHeaders = flatHeaders(response.headers)
      const length = Number(responseHeaders['content-length'] ?? Number.NaN)
      const responseBody =
        length <= maxResponseBytes
          ? await response.body.text()
          : await readSome(response.body, maxResponseBytes)
      return {
        statusCode: response.statusCode,
        failure: null,
        retryAfterMs: parseRetryAfter(responseHeaders['retry-after'], Date.now()),
        error: isSuccess(response.statusCode) ? null : `HTTP ${response.statusCode}`,
        durationMs: Math.round(performance.now() - started),
        requestHeaders,
        responseHeaders,
        responseBody,
      }
    } catch (err) {
      return {
        statusCode: null,
        ...describeFailure(err, signal.aborted, req.timeoutMs),
        retryAfterMs: null,
        durationMs: Math.round(performance.now() - started),
        requestHeaders,
        responseHeaders: {},
        responseBody: '',
      }
    } finally {
      clearTimeout(timer)
    }
  }

  /** Closes the connection pools. */
  async close(): Promise<void> {
    await this.#dispatcher.close()
  }

  async #checkLiteral(url: string): Promise<void> {
    await this.#guard.checkUrl(url, { resolve: false })
    if (this.#passedUrls.size >= 10_000) this.#passedUrls.clear()
    this.#passedUrls.add(url)
  }
}

function describeFailure(
  err: unknown,
  timedOut: boolean,
  timeoutMs: number,
): { failure: CallResult['failure']; error: string } {
  if (isUnsafeUrlError(err)) {
    return { failure: 'unsafe_url', error: 'the URL points at an address that is not allowed' }
  }
  if (timedOut) return { failure: 'timeout', error: `timed out after ${timeoutMs} ms` }
  const error = err as {
    code?: string
    message?: string
    cause?: { code?: string; message?: string }
  }
  const code = error.cause?.code ?? error.code
  const message = error.cause?.message ?? error.message ?? String(err)
  return { failure: 'network', error: code === undefined ? message : `${code}: ${message}` }
}

async function readSome(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buffer = chunk as Buffer
    chunks.push(buffer)
    size += buffer.length
    if (size >= limit) {
      // Past the limit the rest is not wanted: destroying the body drops the connection.
      body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
