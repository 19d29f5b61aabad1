import { createHmac } from 'node:crypto'
import { standardKey } from './keys.ts'

/**
 * The base64 HMAC-SHA256 of Standard Webhooks 1.0 over `id.timestamp.body`, keyed by the
 * base64-decoded secret after `whsec_`. Without the `v1,` prefix.
 *
 * @example
 * standardSignature('whsec_…', 'msg_1', 1614265330, '{"a":1}') // 'g0hM9SsE…='
 */
export function standardSignature(
  secret: string,
  id: string,
  timestamp: number | string,
  body: string | Uint8Array,
): string {
  return createHmac('sha256', standardKey(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64')
}
