import { envelope, eventData } from '../src/bench/payload.ts'
import { benchId, type SignedPost } from '../src/bench/signed-post.ts'

/**
 * The deliveries a do-it-yourself sender queues, one job each (its URL and enveloped body), in
 * chunks of `size`: what the pg-boss and BullMQ senders insert before they are timed.
 */
export function* deliveryJobChunks(
  url: string,
  jobs: number,
  size = 1_000,
): Generator<SignedPost[]> {
  const dataJson = JSON.stringify(eventData(1))
  for (let first = 0; first < jobs; first += size) {
    const chunk: SignedPost[] = []
    for (let n = first; n < Math.min(first + size, jobs); n++) {
      const eventId = benchId('evt', n)
      const body = envelope(eventId, new Date().toISOString(), dataJson)
      chunk.push({ url, eventId, deliveryId: benchId('dlv', n), body })
    }
    yield chunk
  }
}
