/** What one attempt says about its receiver's capacity. */
export type CapacitySignal =
  /** A 2xx that came back quickly: the receiver could take more at once. */
  | 'fast'
  /** No answer before the timeout: the receiver is stuck or gone. */
  | 'timeout'
  /** 429, 5xx or a broken connection: the receiver is overloaded or failing. */
  | 'overloaded'
  /** Anything else (a slow 2xx, a 4xx): says nothing about capacity. */
  | 'neutral'

/** A 2xx quicker than this counts as `fast`. */
export const fastAnswerMs = 1_000

/**
 * How many attempts one receiver may have in flight, adjusted as TCP adjusts its congestion
 * window. It starts at `floor` and never leaves [floor, ceiling]:
 *
 * - slow start: each fast answer adds one while no overload has been seen, so a healthy receiver
 *   reaches its ceiling after a few round trips;
 * - additive increase: after that, fast answers add one per limit's worth of them;
 * - multiplicative decrease: an overloaded answer halves the limit, a timeout sends it back to the
 *   floor (as a retransmission timeout resets TCP's window). Only answers to attempts started after
 *   the last cut count against it, so one bad round trip cuts once, not once per attempt in it.
 *
 * Growth counts only while the limit is what holds the receiver back (`limited`): a receiver that
 * is sent a trickle does not earn a window it never used.
 */
export class AdaptiveLimit {
  readonly floor: number
  readonly ceiling: number
  #limit: number
  #slowStart = true
  // Fast answers counted towards the next step of additive increase.
  #earned = 0
  #started = 0
  #cutAt = 0

  constructor(floor: number, ceiling: number) {
    this.floor = floor
    this.ceiling = Math.max(floor, ceiling)
    this.#limit = floor
  }

  /** Attempts allowed in flight now. */
  get current(): number {
    return this.#limit
  }

  /** Call as an attempt starts; pass what it returns to `settle` when it ends. */
  start(): number {
    return this.#started++
  }

  /**
   * Adjusts the limit after the attempt numbered `ticket` ended with `signal`; `limited` tells
   * whether the receiver had more waiting than the limit let through when it ended.
   */
  settle(ticket: number, signal: CapacitySignal, limited: boolean): void {
    if (signal === 'fast') {
      if (!limited || this.#limit >= this.ceiling) return
      if (!this.#slowStart && ++this.#earned < this.#limit) return
      this.#earned = 0
      this.#limit++
      return
    }
    if (signal === 'neutral' || ticket < this.#cutAt) return
    this.#slowStart = false
    this.#cutAt = this.#started
    this.#earned = 0
    this.#limit =
      signal === 'timeout' ? this.floor : Math.max(this.floor, Math.floor(this.#limit / 2))
  }
}

/** The capacity signal of an attempt's result. */
export function capacitySignal(result: {
  statusCode: number | null
  failure: string | null
  durationMs: number
}): CapacitySignal {
  const { statusCode, failure, durationMs } = result
  if (failure === 'timeout') return 'timeout'
  if (statusCode === null) return failure === 'network' ? 'overloaded' : 'neutral'
  if (statusCode === 429 || statusCode >= 500) return 'overloaded'
  if (statusCode >= 200 && statusCode < 300 && durationMs < fastAnswerMs) return 'fast'
  return 'neutral'
}
