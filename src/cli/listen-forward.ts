import { Agent } from 'undici'
import { connectionFailure } from './net-address.ts'

/**
 * How long the app may take to answer a forwarded webhook: 30 s, the longest a Hookrelay attempt
 * can wait anyway. After it the sender gets a 502.
 */
export const forwardTimeoutMs = 30_000

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to the connection to `listen`, not to the app.
// `host` and `content-length` are the new connection's, set by undici; undici refuses `expect`.
const notForwarded = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
])

/** What became of one forwarded webhook. */
export type ForwardResult =
  | {
      kind: 'answered'
      url: string
      status: number
      /** The app's `content-type`, null when it sent none. */
      contentType: string | null
      body: Buffer
    }
  | { kind: 'failed'; url: string; reason: string }

/** The request as `listen` received it. */
export interface ForwardRequest {
  method: string
  /** Node's `rawHeaders`: names and values alternating, as sent, repeats kept. */
  rawHeaders: readonly string[]
  body: Buffer
}

/** Sends webhooks on to one URL, the local app of `listen --forward-to`. */
export interface Forwarder {
  forward(request: ForwardRequest): Promise<ForwardResult>
  /** Drops the connections to the app. */
  close(): Promise<void>
}

/**
 * A forwarder to exactly `url`, whatever path the webhook came to, with the method, headers (but
 * hop-by-hop ones) and body bytes as received: signatures stay valid, and the app checks them
 * itself. Redirects are not followed. Never throws: a failure is a `failed` result.
 *
 * @example
 * const result = await createForwarder('http://127.0.0.1:3000/webhooks').forward(request)
 */
export function createForwarder(url: string): Forwarder {
  const agent = new Agent({ headersTimeout: forwardTimeoutMs, bodyTimeout: forwardTimeoutMs })
  return {
    async forward({ method, rawHeaders, body }) {
      try {
        const answer = await agent.request({
          origin: new URL(url).origin,
          path: pathOf(url),
          method,
          headers: forwardedHeaders(rawHeaders),
          body: body.length === 0 ? null : body,
        })
        const type = answer.headers['content-type']
        return {
          kind: 'answered',
          url,
          status: answer.statusCode,
          contentType: typeof type === 'string' ? type : null,
          body: Buffer.from(await answer.body.arrayBuffer()),
        }
      } catch (err) {
        return { kind: 'failed', url, reason: failureReason(err) }
      }
    },
    close: () => agent.close(),
  }
}

function pathOf(url: string): string {
  const parsed = new URL(url)
  return `${parsed.pathname}${parsed.search}`
}

/** `rawHeaders` without the hop-by-hop ones, nor those the `connection` header names. */
function forwardedHeaders(rawHeaders: readonly string[]): string[] {
  const dropped = new Set(notForwarded)
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue
    for (const name of rawHeaders[i + 1]!.split(',')) dropped.add(name.trim().toLowerCase())
  }
  const kept: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (!dropped.has(name.toLowerCase())) kept.push(name, rawHeaders[i + 1]!)
  }
  return kept
}

function failureReason(err: unknown): string {
  const error = err as { code?: unknown; message?: unknown; errors?: { code?: unknown }[] }
  // A name with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  const code = error.code ?? error.errors?.[0]?.code
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return `no answer within ${forwardTimeoutMs / 1000} s`
  }
  return (
    connectionFailure(code) ?? (typeof error.message === 'string' ? error.message : String(err))
  )
}
