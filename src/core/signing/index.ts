import { ValidationError } from '../errors.ts'
import type { SignatureScheme, SigningSecret } from '../types.ts'
import { BODY_HMAC_SCHEMES, bodySignature } from './hmac-schemes.ts'
import { currentSecret, validSecrets } from './secrets.ts'
import { standardSignature } from './standard-scheme.ts'

export type { SignatureScheme, SigningSecret } from '../types.ts'
export { BODY_HMAC_SCHEMES, type BodyHmacScheme, bodySignature } from './hmac-schemes.ts'
export { decodeStandardSecret, KEY_CACHE_SIZE } from './keys.ts'
export {
  currentSecret,
  DEFAULT_ROTATION_GRACE_MS,
  generateSecret,
  isSecretValid,
  rotateSecrets,
  validateSecret,
  validSecrets,
} from './secrets.ts'
export { standardSignature } from './standard-scheme.ts'

/** What a delivery needs to be signed. */
export interface SigningInput {
  scheme: SignatureScheme
  /** The subscription's secrets; which of them sign depends on `scheme` and `now`. */
  secrets: readonly SigningSecret[]
  /** Epoch milliseconds, to decide which secrets are still valid. */
  now: number
  eventId: string
  eventType: string
  deliveryId: string
  /** Unix seconds sent in `webhook-timestamp`. */
  timestamp: number
  /** The exact body sent. */
  body: string
}

/**
 * The signing headers of a delivery, named in lowercase. `standard` signs with every secret
 * valid at `now`; the other schemes with the newest valid one. Throws a ValidationError on
 * `secrets` when none is valid.
 *
 * @example
 * const headers = signatureHeaders({
 *   scheme: 'standard', secrets: sub.secrets, now: Date.now(), eventId: event.id,
 *   eventType: event.type, deliveryId: delivery.id, timestamp: Math.floor(Date.now() / 1000), body,
 * })
 */
export function signatureHeaders(input: SigningInput): Record<string, string> {
  const { scheme } = input
  if (scheme === 'standard') {
    let signature = ''
    for (const s of validSecrets(input.secrets, input.now)) {
      const v1 = `v1,${standardSignature(s.secret, input.eventId, input.timestamp, input.body)}`
      signature = signature === '' ? v1 : `${signature} ${v1}`
    }
    if (signature === '') throw noValidSecret()
    return {
      'webhook-id': input.eventId,
      'webhook-timestamp': String(input.timestamp),
      'webhook-signature': signature,
    }
  }
  const secret = currentSecret(input.secrets, input.now)
  if (secret === undefined) throw noValidSecret()
  const names = BODY_HMAC_SCHEMES[scheme]
  return {
    [names.eventHeader]: input.eventType,
    [names.idHeader]: scheme === 'superoffice' ? input.eventId : input.deliveryId,
    [names.signatureHeader]: bodySignature(scheme, secret.secret, input.body),
  }
}

function noValidSecret(): ValidationError {
  return new ValidationError('secrets', 'no secret is valid now')
}
