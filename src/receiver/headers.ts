import { WebhookVerificationError } from './errors.ts'

/**
 * Request headers as a plain object (Node's `req.headers`, any casing) or a Fetch `Headers`-like
 * object with `get()`.
 */
export type HeadersInput =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>

function isHeadersLike(
  headers: HeadersInput,
): headers is { get(name: string): string | null | undefined } {
  return typeof (headers as { get?: unknown }).get === 'function'
}

/** The header `name` (lowercase), matched case-insensitively; the first value of a list. */
export function findHeader(headers: HeadersInput, name: string): string | undefined {
  if (isHeadersLike(headers)) return headers.get(name) ?? undefined
  let value = headers[name]
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key]
        break
      }
    }
  }
  return typeof value === 'string' ? value : value?.[0]
}

/** The header `name`, or a `missing_header` WebhookVerificationError when absent or empty. */
export function requireHeader(headers: HeadersInput, name: string): string {
  const value = findHeader(headers, name)
  if (value === undefined || value === '') {
    throw new WebhookVerificationError('missing_header', `missing header ${name}`)
  }
  return value
}
