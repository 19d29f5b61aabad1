/**
 * A token bucket on the monotonic clock: a subscription's `rateLimit` (deliveries per second), an
 * API key's requests per second, a client address's failed authentications. It refills at
 * `perSecond` and holds at most `capacity` tokens, by default one second's worth, so whoever was
 * quiet can burst that much.
 */
export class TokenBucket {
  readonly #rate: number
  readonly #capacity: number
  #tokens: number
  #last: number

  constructor(
    perSecond: number,
    capacity: number = Math.max(1, perSecond),
    now: number = performance.now(),
  ) {
    this.#rate = perSecond / 1000
    this.#capacity = capacity
    this.#tokens = this.#capacity
    this.#last = now
  }

  /** Takes a token if one is there; otherwise returns the ms until one will be. */
  take(now: number = performance.now()): number {
    this.#refill(now)
    // A rate such as 20 a minute is no exact binary fraction: a token that is due counts as come.
    if (this.#tokens >= 1 - 1e-9) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil((1 - this.#tokens) / this.#rate)
  }

  /** Puts back a token taken for something that, after all, should not count. */
  giveBack(now: number = performance.now()): void {
    this.#refill(now)
    this.#tokens = Math.min(this.#capacity, this.#tokens + 1)
  }

  /** True when the bucket has refilled to its capacity: it remembers nothing taken. */
  isFull(now: number = performance.now()): boolean {
    this.#refill(now)
    return this.#tokens >= this.#capacity - 1e-9
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#rate)
    this.#last = now
  }
}
