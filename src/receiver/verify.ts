import { timingSafeEqual } from 'node:crypto'
import {
  BODY_HMAC_SCHEMES,
  type BodyHmacScheme,
  bodySignature,
  type SignatureScheme,
  standardSignature,
} from '../core/signing/index.ts'
import { WebhookVerificationError } from './errors.ts'
import { type HeadersInput, requireHeader } from './headers.ts'

/** What every verify helper needs. `body` must be the raw bytes received, not re-serialized JSON. */
export interface VerifyInput {
  /** The subscription's secret (`whsec_…` for `standard`). */
  secret: string
  headers: HeadersInput
  body: string | Uint8Array
}

/** VerifyInput plus the timestamp check of `standard`. */
export interface VerifyStandardInput extends VerifyInput {
  /** Seconds the `webhook-timestamp` may differ from `now`. Default is 300 (5 min). */
  tolerance?: number | undefined
  /** Epoch milliseconds to check the timestamp against. Default is `Date.now()`. */
  now?: number | undefined
}

/** Default `tolerance` of verifyStandard: 300 seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300

// Equal lengths are checked first because timingSafeEqual throws otherwise; the length of a
// well-formed signature is public, so returning early on it leaks nothing.
function safeEqual(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(actual, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Verifies a Standard Webhooks 1.0 request: the `webhook-timestamp` is within `tolerance`
 * (default 300 s) of `now`, and one of the space-separated `v1,` signatures matches.
 * Throws WebhookVerificationError.
 *
 * @example
 * verifyStandard({ secret: 'whsec_…', headers: req.headers, body: rawBody })
 */
export function verifyStandard(input: VerifyStandardInput): void {
  const id = requireHeader(input.headers, 'webhook-id')
  const timestamp = requireHeader(input.headers, 'webhook-timestamp')
  const signatures = requireHeader(input.headers, 'webhook-signature')
  const tolerance = input.tolerance ?? DEFAULT_TOLERANCE_SECONDS
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000)
  const seconds = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN
  if (!(Math.abs(nowSeconds - seconds) <= tolerance)) {
    throw new WebhookVerificationError(
      'timestamp_out_of_range',
      'webhook-timestamp is invalid or too far from now',
    )
  }
  const expected = standardSignature(input.secret, id, timestamp, input.body)
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue
    if (safeEqual(expected, entry.slice(comma + 1))) return
  }
  throw new WebhookVerificationError('bad_signature', 'no matching v1 signature')
}

function verifyBodyHmac(scheme: BodyHmacScheme, input: VerifyInput): void {
  const name = BODY_HMAC_SCHEMES[scheme].signatureHeader
  const actual = requireHeader(input.headers, name)
  if (!safeEqual(bodySignature(scheme, input.secret, input.body), actual)) {
    throw new WebhookVerificationError('bad_signature', `${name} does not match`)
  }
}

/**
 * Verifies `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the body). Throws
 * WebhookVerificationError.
 *
 * @example
 * verifyGithub({ secret, headers: req.headers, body: rawBody })
 */
export function verifyGithub(input: VerifyInput): void {
  verifyBodyHmac('github', input)
}

/**
 * Verifies ServiceStack's `X-Hub-Signature` (`sha1=` + hex HMAC-SHA256 of the body). Throws
 * WebhookVerificationError.
 *
 * @example
 * verifyServiceStack({ secret, headers: req.headers, body: rawBody })
 */
export function verifyServiceStack(input: VerifyInput): void {
  verifyBodyHmac('servicestack', input)
}

/**
 * Verifies `X-SuperOffice-Signature` (base64 HMAC-SHA256 of the body). Throws
 * WebhookVerificationError.
 *
 * @example
 * verifySuperOffice({ secret, headers: req.headers, body: rawBody })
 */
export function verifySuperOffice(input: VerifyInput): void {
  verifyBodyHmac('superoffice', input)
}

/**
 * Verifies a request signed with `scheme`; `tolerance` and `now` apply to `standard` only.
 * Throws WebhookVerificationError.
 *
 * @example
 * verify('github', { secret, headers: request.headers, body: await request.text() })
 */
export function verify(scheme: SignatureScheme, input: VerifyStandardInput): void {
  switch (scheme) {
    case 'standard':
      verifyStandard(input)
      return
    case 'github':
    case 'servicestack':
    case 'superoffice':
      verifyBodyHmac(scheme, input)
      return
    default: {
      const unknown: never = scheme
      throw new Error(`unknown signature scheme ${String(unknown)}`)
    }
  }
}
