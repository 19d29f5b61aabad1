import type { ClaimedDelivery } from '../store/store.ts'
import { AdaptiveLimit } from './adaptive-limit.ts'
import { TokenBucket } from './token-bucket.ts'

/** A claimed delivery the worker holds but has not started. */
export interface Held {
  claimed: ClaimedDelivery
  /** When it was claimed (epoch ms): its lease runs out `leaseMs` later. */
  claimedAt: number
}

/** A subscription's latency estimate moves this fraction of the way to each new answer's. */
const latencyWeight = 0.2

/**
 * One subscription as the delivery worker serves it: the deliveries claimed for it and not yet
 * started, in due order; how many are in flight and how many may be (its adaptive limit); its
 * rate limit; and how fast it answers, which decides how many it may hold.
 */
export class Lane {
  readonly id: string
  readonly limit: AdaptiveLimit
  inFlight = 0
  /** In the worker's round-robin of lanes that can start something. */
  inRing = false
  /** How many unstarted deliveries it may hold (`holdCap`, as last worked out). */
  cap = Infinity
  /** Holds `cap` or more. */
  full = false
  /** Has a finite `cap` and is not full: claims give it room. */
  capped = false
  /** A claim passed over its deliveries while it was full. */
  passedOver = false
  /** Set while it waits for its rate limit's next token. */
  timer: NodeJS.Timeout | null = null
  /** Epoch ms of its last claim or answer: lanes idle for long are forgotten. */
  lastActive: number
  #queue: Held[] = []
  #head = 0
  #rate: number | null = null
  #bucket: TokenBucket | null = null
  #latencyMs = Number.NaN
  // When each attempt in flight started (epoch ms), earliest first.
  #starts: number[] = []

  constructor(id: string, floor: number, ceiling: number, now: number) {
    this.id = id
    this.limit = new AdaptiveLimit(floor, ceiling)
    this.lastActive = now
  }

  /** Unstarted deliveries held. */
  get queued(): number {
    return this.#queue.length - this.#head
  }

  /** The subscription's `rateLimit`, as its latest claim carried it. */
  setRate(rateLimit: number | null): void {
    if (this.#rate === rateLimit) return
    this.#rate = rateLimit
    this.#bucket = rateLimit === null ? null : new TokenBucket(rateLimit)
  }

  push(held: Held): void {
    this.#queue.push(held)
  }

  /** The next delivery to start, in due order. */
  peek(): Held | undefined {
    return this.#queue[this.#head]
  }

  shift(): Held | undefined {
    const held = this.#queue[this.#head]
    if (held === undefined) return undefined
    this.#head++
    if (this.#head === this.#queue.length) {
      this.#queue = []
      this.#head = 0
    } else if (this.#head >= 1_024) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    return held
  }

  /** Takes the `n` last-claimed unstarted deliveries out. */
  takeNewest(n: number): Held[] {
    const keep = Math.max(this.#head, this.#queue.length - n)
    return this.#queue.splice(keep)
  }

  /** Takes every unstarted delivery out. */
  takeAll(): Held[] {
    const all = this.#queue.slice(this.#head)
    this.#queue = []
    this.#head = 0
    return all
  }

  /** Ms until the rate limit lets one more start, taking the token when it does (0). */
  waitForToken(): number {
    return this.#bucket === null ? 0 : this.#bucket.take()
  }

  /** Notes an attempt that started at `at` (epoch ms). */
  started(at: number): void {
    this.#starts.push(at)
  }

  /** Notes the end of the attempt that started at `at`, and its answer's duration. */
  finished(at: number, durationMs: number): void {
    const i = this.#starts.indexOf(at)
    if (i >= 0) this.#starts.splice(i, 1)
    this.#observe(durationMs)
  }

  #observe(durationMs: number): void {
    this.#latencyMs = Number.isNaN(this.#latencyMs)
      ? durationMs
      : this.#latencyMs + latencyWeight * (durationMs - this.#latencyMs)
  }

  /**
   * How many unstarted deliveries it may hold at `now`: what it can start within `windowMs` at its
   * limit and latency (and rate limit), at least its limit. Its latency is its answers' average,
   * or how long its oldest attempt in flight has waited if that is longer: a receiver that stops
   * answering is known slow as it hangs, not only once its attempts time out. Infinity while that
   * is more than `batch` (a receiver that answers fast, or one not heard from yet): then only the
   * claim's size bounds it.
   */
  holdCap(windowMs: number, batch: number, now: number): number {
    let cap = Infinity
    const limit = this.limit.current
    const waited = this.#starts.length === 0 ? 0 : now - this.#starts[0]!
    const latency = Number.isNaN(this.#latencyMs) ? waited : Math.max(this.#latencyMs, waited)
    if (latency > 0) cap = (limit * windowMs) / latency
    if (this.#rate !== null) cap = Math.min(cap, (this.#rate * windowMs) / 1_000)
    return cap >= batch ? Infinity : Math.max(limit, Math.floor(cap))
  }
}
