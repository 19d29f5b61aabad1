import { createHmac } from 'node:crypto'
import { utf8Key } from './keys.ts'

/** The schemes that sign the body alone with the secret's UTF-8 bytes. */
export type BodyHmacScheme = 'github' | 'servicestack' | 'superoffice'

/** Header names and signature format of each body-HMAC scheme (lowercase names). */
export const BODY_HMAC_SCHEMES = {
  github: {
    eventHeader: 'x-github-event',
    idHeader: 'x-github-delivery',
    signatureHeader: 'x-hub-signature-256',
  },
  servicestack: {
    eventHeader: 'x-webhook-event',
    idHeader: 'x-webhook-delivery',
    signatureHeader: 'x-hub-signature',
  },
  superoffice: {
    eventHeader: 'x-superoffice-event',
    idHeader: 'x-superoffice-eventid',
    signatureHeader: 'x-superoffice-signature',
  },
} as const satisfies Record<
  BodyHmacScheme,
  { eventHeader: string; idHeader: string; signatureHeader: string }
>

/**
 * The signature header value of a body-HMAC scheme: `sha256=<hex>` (github), `sha1=<hex>`
 * (servicestack, though the algorithm is SHA-256) or `<base64>` (superoffice).
 *
 * @example
 * bodySignature('servicestack', 'asecret', 'abody') // 'sha1=1d3ed20b…'
 */
export function bodySignature(
  scheme: BodyHmacScheme,
  secret: string,
  body: string | Uint8Array,
): string {
  const hmac = createHmac('sha256', utf8Key(secret)).update(body)
  switch (scheme) {
    case 'github':
      return `sha256=${hmac.digest('hex')}`
    case 'servicestack':
      return `sha1=${hmac.digest('hex')}`
    case 'superoffice':
      return hmac.digest('base64')
    default: {
      const unknown: never = scheme
      throw new Error(`unknown scheme ${String(unknown)}`)
    }
  }
}
