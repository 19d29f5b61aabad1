import { type Agent, request } from 'undici'
import { generateSecret, signatureHeaders } from '../core/signing/index.ts'

/** One request of a hand-written sender: where it goes and what it carries. */
export interface SignedPost {
  url: string
  eventId: string
  deliveryId: string
  body: string
}

/**
 * The per-delivery work of a sender that stores nothing, as Hookrelay's sender does it: sign the
 * exact body standard-webhooks style with a fresh secret, POST it over `agent`'s keep-alive pool,
 * read the answer. Resolves to the status code.
 */
export function signedPoster(agent: Agent): (post: SignedPost) => Promise<number> {
  const secrets = [{ secret: generateSecret(), expiresAt: null }]
  return async ({ url, eventId, deliveryId, body }) => {
    const now = Date.now()
    const signed = signatureHeaders({
      scheme: 'standard',
      secrets,
      now,
      eventId,
      eventType: 'bench.event',
      deliveryId,
      timestamp: Math.floor(now / 1000),
      body,
    })
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { ...signed, 'content-type': 'application/json', 'user-agent': 'hookrelay-bench' },
      body,
    })
    await response.body.text()
    return response.statusCode
  }
}

/** A bench-style id: `prefix_` and `n` padded to the 26 characters of a real id. */
export function benchId(prefix: 'evt' | 'dlv', n: number): string {
  return `${prefix}_${String(n).padStart(26, '0')}`
}
