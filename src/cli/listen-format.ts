import type { ForwardResult } from './listen-forward.ts'
import type { ReceivedWebhook } from './listen-server.ts'

/** Emphasis for the human view; the identity when colours are off. */
export type ListenStyle = (format: 'bold' | 'green' | 'red' | 'dim', text: string) => string

const plain: ListenStyle = (_format, text) => text

/** How much of a body the human view shows: 40 lines of at most 200 characters. */
const maxLines = 40
const maxLineLength = 200

/**
 * The human view of one request: a line with the time, method, path, answered status, event type
 * and id; the signature verdict; what the `--forward-to` app answered; the body pretty-printed
 * when it is JSON, cut after 40 lines.
 *
 * @example
 * process.stdout.write(formatWebhook(request))
 */
export function formatWebhook(request: ReceivedWebhook, style: ListenStyle = plain): string {
  const event = [request.type ?? '(no event type)', request.id ?? '(no id)'].join('  ')
  const head = `${style('dim', clock(request.at))}  ${style('bold', `${request.method} ${request.path}`)}  → ${request.status}  ${event}`
  const lines = [head, `  ${verdictText(request, style)}`]
  if (request.forward !== null) lines.push(`  ${forwardText(request.forward, style)}`)
  const body = bodyLines(request)
  if (body.length > 0) lines.push(...body.map((line) => `  ${line}`))
  return `${lines.join('\n')}\n\n`
}

/**
 * The `--json` view of one request: one line holding the time, request, verdict, headers and the
 * whole body (parsed when it is JSON, else its text).
 */
export function formatWebhookJson(request: ReceivedWebhook): string {
  const { verdict } = request
  return `${JSON.stringify({
    time: request.at.toISOString(),
    method: request.method,
    path: request.path,
    status: request.status,
    type: request.type,
    id: request.id,
    signature: verdict.kind === 'unchecked' ? 'not checked' : verdict.kind,
    scheme: verdict.kind === 'unchecked' ? null : verdict.scheme,
    reason: verdict.kind === 'valid' ? null : verdict.reason,
    forward: forwardJson(request.forward),
    headers: request.headers,
    body: request.json === undefined ? request.body.toString('utf8') : request.json,
  })}\n`
}

function verdictText(request: ReceivedWebhook, style: ListenStyle): string {
  const { verdict } = request
  switch (verdict.kind) {
    case 'valid':
      return style('green', `✔ valid signature (${verdict.scheme})`)
    case 'invalid':
      return style(
        'red',
        `✘ invalid signature${verdict.scheme === null ? '' : ` (${verdict.scheme})`}: ${verdict.reason}`,
      )
    case 'unchecked':
      return style('dim', `signature not checked: ${verdict.reason}`)
    default: {
      const unknown: never = verdict
      throw new Error(`unknown verdict ${String(unknown)}`)
    }
  }
}

function forwardText(forward: ForwardResult, style: ListenStyle): string {
  if (forward.kind === 'failed') {
    return style('red', `✘ not forwarded to ${forward.url}: ${forward.reason} (answered 502)`)
  }
  const ok = forward.status >= 200 && forward.status < 300
  return style(
    ok ? 'green' : 'red',
    `↪ forwarded to ${forward.url}: the app answered ${forward.status}`,
  )
}

function forwardJson(forward: ForwardResult | null) {
  if (forward === null) return null
  return forward.kind === 'answered'
    ? { url: forward.url, status: forward.status, error: null }
    : { url: forward.url, status: null, error: forward.reason }
}

function bodyLines(request: ReceivedWebhook): string[] {
  if (request.body.length === 0) return []
  const text =
    request.json === undefined
      ? request.body.toString('utf8')
      : JSON.stringify(request.json, null, 2)
  const all = text.split('\n')
  const shown = all
    .slice(0, maxLines)
    .map((line) => (line.length > maxLineLength ? `${line.slice(0, maxLineLength)}…` : line))
  if (all.length > maxLines) {
    shown.push(`… ${all.length - maxLines} more lines (${request.body.length} bytes in all)`)
  }
  return shown
}

function clock(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  const ms = String(at.getMilliseconds()).padStart(3, '0')
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${ms}`
}
