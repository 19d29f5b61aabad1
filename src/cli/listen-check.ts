import { BODY_HMAC_SCHEMES, type SignatureScheme } from '../core/signing/index.ts'
import { findHeader, type HeadersInput } from '../receiver/headers.ts'
import { verify, WebhookVerificationError } from '../receiver/index.ts'

const bodyHmacSchemes = Object.keys(BODY_HMAC_SCHEMES) as (keyof typeof BODY_HMAC_SCHEMES)[]

/** Every signature scheme, in the order `detectScheme` tries them. */
export const signatureSchemes: readonly SignatureScheme[] = ['standard', ...bodyHmacSchemes]

/** What `hookrelay listen` made of a request's signature. */
export type Verdict =
  | { kind: 'valid'; scheme: SignatureScheme }
  | { kind: 'invalid'; scheme: SignatureScheme | null; reason: string }
  /** Nothing to check against (no `--secret`), or the request was not one to check. */
  | { kind: 'unchecked'; reason: string }

/**
 * The scheme whose signature header the request carries, or null. `x-hub-signature-256` is tried
 * before ServiceStack's `x-hub-signature`, because GitHub itself sends both.
 *
 * @example
 * detectScheme({ 'webhook-signature': 'v1,…' }) // 'standard'
 */
export function detectScheme(headers: HeadersInput): SignatureScheme | null {
  if (findHeader(headers, 'webhook-signature') !== undefined) return 'standard'
  for (const scheme of bodyHmacSchemes) {
    if (findHeader(headers, BODY_HMAC_SCHEMES[scheme].signatureHeader) !== undefined) return scheme
  }
  return null
}

/**
 * Checks the signature with the receiver's `verify` helper: valid when any of `secrets` (several
 * during a rotation) verifies it with `scheme`, or with the scheme detected from the headers.
 */
export function checkSignature(input: {
  headers: HeadersInput
  body: Uint8Array
  secrets: readonly string[]
  scheme: SignatureScheme | null
}): Verdict {
  const { headers, body, secrets } = input
  if (secrets.length === 0) return { kind: 'unchecked', reason: 'no --secret' }
  const scheme = input.scheme ?? detectScheme(headers)
  if (scheme === null) {
    return { kind: 'invalid', scheme, reason: 'no signature header of any scheme' }
  }
  let first: string | null = null
  for (const secret of secrets) {
    try {
      verify(scheme, { secret, headers, body })
      return { kind: 'valid', scheme }
    } catch (err) {
      // A secret the scheme cannot use (such as one that is not base64 for `standard`) is a
      // failed check of this request, not a crash of the listener.
      const why =
        err instanceof WebhookVerificationError
          ? `${err.message} (${err.code})`
          : `the secret does not fit ${scheme}: ${err instanceof Error ? err.message : String(err)}`
      first ??= why
    }
  }
  const tried = secrets.length > 1 ? `, with each of ${secrets.length} secrets` : ''
  return { kind: 'invalid', scheme, reason: `${first ?? 'no secret matches'}${tried}` }
}

/** The event a request carries, as far as its headers and body tell. */
export interface WebhookSummary {
  /** The event type: a scheme's event header, else the envelope's `type`. */
  type: string | null
  /** The envelope's `id` (the event id), else the id header of the scheme. */
  id: string | null
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown
}

/**
 * Reads the event type and id from the Hookrelay headers and the envelope, whichever scheme
 * signed the request (a `payload: "data"` subscription sends no envelope).
 */
export function summarizeWebhook(headers: HeadersInput, body: Uint8Array): WebhookSummary {
  const json = parseJson(body)
  const envelope =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null)
  const header = (names: string[]) => {
    for (const name of names) {
      const value = text(findHeader(headers, name))
      if (value !== null) return value
    }
    return null
  }
  const schemes = Object.values(BODY_HMAC_SCHEMES)
  return {
    type: header(schemes.map((s) => s.eventHeader)) ?? text(envelope.type),
    id: text(envelope.id) ?? header(['webhook-id', ...schemes.map((s) => s.idHeader)]),
    json,
  }
}

function parseJson(body: Uint8Array): unknown {
  if (body.length === 0) return undefined
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'))
  } catch {
    return undefined
  }
}
