/**
 * A token bucket for a subscription's `rateLimit` (deliveries per second), on the monotonic clock.
 * It holds at most one second's worth of tokens, so a quiet subscription can burst that much.
 */
export class TokenBucket {
  readonly #rate: number
  readonly #capacity: number
  #tokens: number
  #last: number

  constructor(perSecond: number, now: number = performance.now()) {
    this.#rate = perSecond / 1000
    this.#capacity = Math.max(1, perSecond)
    this.#tokens = this.#capacity
    this.#last = now
  }

  /** Takes a token if one is there; otherwise returns the ms until one will be. */
  take(now: number = performance.now()): number {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#rate)
    this.#last = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil((1 - this.#tokens) / this.#rate)
  }
}
