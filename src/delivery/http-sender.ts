import type { Dispatcher } from 'undici'
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
 *
 * Requests go through undici's `dispatch` with a handler of their own rather than `request()`:
 * the answer is at most 4 KiB read once, so the stream, abort signal and async scope `request()`
 * sets up for every call would be a large share of a delivery's cost and buy nothing here.
 */
export class HttpSender {
  readonly #guard: SsrfGuard
  readonly #dispatcher: Dispatcher
  readonly #userAgent: string
  // The literal-address check depends only on the URL, and URLs repeat on every delivery: a URL
  // that passed is kept, split into origin and path, and neither checked nor parsed again (an
  // await per request is a measurable share of its cost).
  readonly #targets = new Map<string, Target>()
  // The exchanges whose result has not settled: a shutdown interrupts them.
  readonly #open = new Set<Exchange>()
  readonly #settled = (exchange: Exchange) => this.#open.delete(exchange)

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
    const requestHeaders = {
      ...req.headers,
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
    }
    const exchange = new Exchange(requestHeaders, req.timeoutMs, this.#settled)
    this.#open.add(exchange)
    try {
      const { origin, path } = this.#targets.get(req.url) ?? (await this.#check(req.url))
      this.#dispatcher.dispatch(
        { origin, path, method: 'POST', headers: requestHeaders, body: req.body },
        exchange,
      )
    } catch (err) {
      exchange.onResponseError(null, err as Error)
    }
    return exchange.result
  }

  /**
   * Ends every POST in flight now, each with an `interrupted` result, and drops its connection:
   * the worker is shutting down and will not wait for these answers any longer.
   */
  interruptAll(): void {
    for (const exchange of [...this.#open]) exchange.interrupt()
  }

  /**
   * Closes the connection pools at once: requests still in flight are aborted (the engine has
   * already waited as long as it was told to for them).
   */
  async close(): Promise<void> {
    await this.#dispatcher.destroy()
  }

  /** Checks a URL not seen before, then keeps it split for the requests that follow. */
  async #check(url: string): Promise<Target> {
    await this.#guard.checkUrl(url, { resolve: false })
    const parsed = new URL(url)
    const target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }
    if (this.#targets.size >= 10_000) this.#targets.clear()
    this.#targets.set(url, target)
    return target
  }
}

interface Target {
  origin: string
  path: string
}

/**
 * One POST's handler: gathers the status, headers and first 4 KiB of the answer, enforces the
 * attempt's time limit, and settles `result` exactly once, whatever undici reports after that.
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly result: Promise<SendResult>
  readonly #requestHeaders: Record<string, string>
  readonly #timeoutMs: number
  readonly #started = performance.now()
  readonly #timer: NodeJS.Timeout
  readonly #settled: (exchange: Exchange) => void
  #settle!: (result: SendResult) => void
  #controller: Dispatcher.DispatchController | null = null
  #done = false
  #timedOut = false
  #statusCode = 0
  #headers: Record<string, string> = {}
  #chunks: Buffer[] = []
  #size = 0

  constructor(
    requestHeaders: Record<string, string>,
    timeoutMs: number,
    settled: (exchange: Exchange) => void,
  ) {
    this.#requestHeaders = requestHeaders
    this.#timeoutMs = timeoutMs
    this.#settled = settled
    this.result = new Promise((resolve) => {
      this.#settle = resolve
    })
    // A cleared timer, not AbortSignal.timeout: at thousands of attempts a second, timeout
    // signals would pile up for the full timeout each.
    this.#timer = setTimeout(this.#timeout, timeoutMs)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    // Timed out (or interrupted) while queued for a connection: it must not go out now.
    if (this.#done) controller.abort(new Error('the attempt was abandoned'))
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return // 1xx: the real answer follows
    this.#statusCode = statusCode
    this.#headers = flatHeaders(headers)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return
    this.#chunks.push(chunk)
    this.#size += chunk.length
    if (this.#size > maxResponseBytes) {
      // Past the limit the rest is not wanted: aborting drops the connection.
      this.#answered()
      controller.abort(new Error('response body past 4 KiB'))
    }
  }

  onResponseEnd(): void {
    this.#answered()
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.#finish({
      statusCode: null,
      ...describeFailure(error, this.#timedOut, this.#timeoutMs),
      retryAfterMs: null,
      durationMs: this.#elapsed(),
      requestHeaders: this.#requestHeaders,
      responseHeaders: {},
      responseBody: '',
    })
  }

  readonly #timeout = (): void => {
    this.#timedOut = true
    this.onResponseError(null, new Error('the attempt timed out'))
    this.#controller?.abort(new Error('the attempt timed out'))
  }

  /** Ends the exchange with an `interrupted` result (a shutdown) and aborts the request. */
  interrupt(): void {
    const error = 'interrupted: Hookrelay shut down before the receiver answered'
    this.#finish({
      statusCode: null,
      failure: 'interrupted',
      error,
      retryAfterMs: null,
      durationMs: this.#elapsed(),
      requestHeaders: this.#requestHeaders,
      responseHeaders: {},
      responseBody: '',
    })
    this.#controller?.abort(new Error(error))
  }

  #answered(): void {
    const statusCode = this.#statusCode
    const body =
      this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size)
    this.#finish({
      statusCode,
      failure: null,
      retryAfterMs: parseRetryAfter(this.#headers['retry-after'], Date.now()),
      error: isSuccess(statusCode) ? null : `HTTP ${statusCode}`,
      durationMs: this.#elapsed(),
      requestHeaders: this.#requestHeaders,
      responseHeaders: this.#headers,
      responseBody: body.subarray(0, maxResponseBytes).toString('utf8'),
    })
  }

  #finish(result: SendResult): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.#chunks = []
    this.#settled(this)
    this.#settle(result)
  }

  #elapsed(): number {
    return Math.round(performance.now() - this.#started)
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

function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  // Most answers repeat no header: then the parsed object is already flat.
  let flat = true
  for (const name in headers) {
    if (typeof headers[name] !== 'string') {
      flat = false
      break
    }
  }
  if (flat) return headers as Record<string, string>
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
