import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SignatureScheme } from '../core/signing/index.ts'
import {
  checkSignature,
  summarizeWebhook,
  type Verdict,
  type WebhookSummary,
} from './listen-check.ts'
import { createForwarder, type Forwarder, type ForwardResult } from './listen-forward.ts'
import { listenError, reachableUrl } from './net-address.ts'

/** The most of a request body kept and checked: 10 MiB. A bigger one answers 413. */
export const maxListenBodyBytes = 10 * 1024 * 1024

/** Settings of `startListenServer`. */
export interface ListenServerOptions {
  /** 0 picks a free port. */
  port: number
  host: string
  /** The one path accepted (others answer 404); null accepts every path. */
  path: string | null
  /** Secrets to check signatures with; several during a rotation, none to check nothing. */
  secrets: readonly string[]
  /** The scheme to check; null detects it from the headers of each request. */
  scheme: SignatureScheme | null
  /** The status answered to every accepted request, whatever its signature. */
  status: number
  /**
   * The URL every accepted request is forwarded to, whose answer (status, content type, body) is
   * then the listener's instead of `status`; 502 when it cannot be had. Null forwards nothing.
   */
  forwardTo: string | null
  /** Called once per request, after it was answered. */
  onRequest(request: ReceivedWebhook): void
}

/** One request as the listener saw and answered it. */
export interface ReceivedWebhook extends WebhookSummary {
  at: Date
  method: string
  /** The request target: path and query. */
  path: string
  headers: IncomingHttpHeaders
  /** The raw bytes received, empty when the body was too large to keep. */
  body: Buffer
  verdict: Verdict
  /** The status answered. */
  status: number
  /** What the `forwardTo` app answered; null when nothing was forwarded. */
  forward: ForwardResult | null
}

/** A running listener. */
export interface ListenServer {
  /** The URL to subscribe: the base URL and the `--path`, or `/` when any path is accepted. */
  url: string
  port: number
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the receiver of `hookrelay listen`: it reads each request's raw body, checks its
 * signature with the receiver's verify helpers, answers `status` (an invalid signature too: it
 * is a debugging tool, the verdict is shown instead) and reports the request to `onRequest`.
 * Throws a one-line CliError when it cannot listen (port in use).
 *
 * @example
 * const server = await startListenServer({ port: 0, host: '127.0.0.1', path: null,
 *   secrets: [secret], scheme: null, status: 200, onRequest: (r) => console.log(r.verdict) })
 */
export async function startListenServer(options: ListenServerOptions): Promise<ListenServer> {
  const forwarder: Forwarder | null =
    options.forwardTo === null ? null : createForwarder(options.forwardTo)
  const server = createServer((req, res) => {
    const at = new Date()
    const target = req.url ?? '/'
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxListenBodyBytes) chunks.push(chunk)
    })
    req.on('end', async () => {
      const pathname = target.split('?', 1)[0] ?? target
      const tooLarge = size > maxListenBodyBytes
      const body = tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks)
      let status = options.status
      let verdict: Verdict
      let forward: ForwardResult | null = null
      if (options.path !== null && pathname !== options.path) {
        status = 404
        verdict = { kind: 'unchecked', reason: `not the --path ${options.path}` }
      } else if (tooLarge) {
        status = 413
        verdict = { kind: 'unchecked', reason: `body over ${maxListenBodyBytes} bytes` }
      } else {
        const { secrets, scheme } = options
        verdict = checkSignature({ headers: req.headers, body, secrets, scheme })
        // An invalid signature is forwarded too: whether the app refuses it is worth seeing.
        const method = req.method ?? 'POST'
        forward = (await forwarder?.forward({ method, rawHeaders: req.rawHeaders, body })) ?? null
      }
      if (forward === null) {
        res.writeHead(status, { 'content-length': '0' }).end()
      } else if (forward.kind === 'answered') {
        status = forward.status
        res.statusCode = status
        if (forward.contentType !== null) res.setHeader('content-type', forward.contentType)
        res.end(forward.body)
      } else {
        status = 502
        const text = `hookrelay listen could not forward to ${forward.url}: ${forward.reason}\n`
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
      }
      options.onRequest({
        at,
        method: req.method ?? 'GET',
        path: target,
        headers: req.headers,
        body,
        ...summarizeWebhook(req.headers, body),
        verdict,
        status,
        forward,
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, options.host, options.port)))
    server.listen(options.port, options.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  let closed: Promise<void> | null = null
  return {
    url: `${reachableUrl(options.host, port)}${options.path ?? '/'}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Senders keep connections alive; waiting for them to go idle would delay Ctrl-C.
        server.closeAllConnections()
      }).then(() => forwarder?.close())
      return closed
    },
  }
}
