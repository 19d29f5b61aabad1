import { randomBytes } from 'node:crypto'
import { ValidationError } from '../errors.ts'
import type { SignatureScheme, SigningSecret } from '../types.ts'
import { decodeStandardSecret } from './keys.ts'

/** How long an old secret keeps signing after a rotation. Default is 24 h. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 3600 * 1000

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
// Any character but control, format, private-use, unassigned and lone surrogates.
const PRINTABLE = /^[^\p{C}]{8,300}$/u

/**
 * A new random secret: `whsec_` + base64 of 32 random bytes. Valid for every scheme.
 *
 * @example
 * const secret = generateSecret() // 'whsec_3q2+7w…='
 */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/**
 * Throws a ValidationError naming `field` (default `config.secret`) unless `secret` suits
 * `scheme`: `standard` needs `whsec_` + base64 of 24..64 bytes; the others take any 8..300
 * printable characters.
 *
 * @example
 * validateSecret('github', input.secret, 'secret')
 */
export function validateSecret(
  scheme: SignatureScheme,
  secret: string,
  field = 'config.secret',
): void {
  switch (scheme) {
    case 'standard': {
      if (!secret.startsWith('whsec_')) throw new ValidationError(field, 'must start with whsec_')
      const encoded = secret.slice('whsec_'.length)
      const bytes = decodeStandardSecret(secret)
      // Buffer.from() skips bad characters silently, so require the round trip to match.
      const canonical =
        BASE64.test(encoded) &&
        bytes.toString('base64').replace(/=+$/, '') === encoded.replace(/=+$/, '')
      if (!canonical) throw new ValidationError(field, 'must be whsec_ followed by base64')
      if (bytes.length < 24 || bytes.length > 64) {
        throw new ValidationError(field, 'must decode to 24 to 64 bytes')
      }
      return
    }
    case 'github':
    case 'servicestack':
    case 'superoffice':
      if (!PRINTABLE.test(secret)) {
        throw new ValidationError(field, 'must be 8 to 300 printable characters')
      }
      return
    default: {
      const unknown: never = scheme
      throw new ValidationError('signatureScheme', `unknown scheme ${String(unknown)}`)
    }
  }
}

/** Whether `secret` still signs at `now` (epoch ms): it has no expiry or expires later. */
export function isSecretValid(secret: SigningSecret, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now
}

/** The secrets still valid at `now` (epoch ms), in their given order. */
export function validSecrets(secrets: readonly SigningSecret[], now: number): SigningSecret[] {
  return secrets.filter((s) => isSecretValid(s, now))
}

/**
 * The newest secret valid at `now`: the one without expiry, else the one expiring last;
 * undefined when none is valid.
 */
export function currentSecret(
  secrets: readonly SigningSecret[],
  now: number,
): SigningSecret | undefined {
  let best: SigningSecret | undefined
  for (const s of secrets) {
    if (!isSecretValid(s, now)) continue
    if (s.expiresAt === null) return s
    if (best === undefined || (best.expiresAt as number) < s.expiresAt) best = s
  }
  return best
}

/**
 * The secrets after a rotation at `now`: `newSecret` first (no expiry), then every still-valid
 * old secret expiring at the earlier of its own expiry and `now + graceMs` (default 24 h).
 * Expired secrets, and an old copy of `newSecret`, are dropped.
 *
 * @example
 * sub.secrets = rotateSecrets(sub.secrets, generateSecret(), Date.now())
 */
export function rotateSecrets(
  secrets: readonly SigningSecret[],
  newSecret: string,
  now: number,
  graceMs = DEFAULT_ROTATION_GRACE_MS,
): SigningSecret[] {
  const graceEnd = now + graceMs
  const rotated: SigningSecret[] = [{ secret: newSecret, expiresAt: null }]
  for (const old of secrets) {
    if (old.secret === newSecret || !isSecretValid(old, now)) continue
    const expiresAt = old.expiresAt === null ? graceEnd : Math.min(old.expiresAt, graceEnd)
    // A zero grace must not leave a secret that is "valid" for another instant.
    if (expiresAt > now) rotated.push({ secret: old.secret, expiresAt })
  }
  return rotated
}
