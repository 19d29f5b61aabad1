import type { ClaimedDelivery } from '../store/store.ts'
import { Lane } from './lane.ts'

/** A lane with nothing to do for this long is forgotten: its limit starts again at the floor. */
const laneIdleMs = 60_000
/** How often lanes with attempts in flight have their hold cap worked out again. */
const recheckMs = 100

/** What the lanes are made with. */
export interface LanesSettings {
  subscriptionConcurrency: number
  maxSubscriptionConcurrency: number
  batchSize: number
  /** How long a held delivery may wait: half of what its lease leaves after an attempt's time. */
  holdWindowMs: number
  now: () => number
  /** A lane that claims passed over has room again: the last claim's "nothing more" is stale. */
  roomAgain: () => void
}

/**
 * The worker's lanes by subscription, and which of them are full (claims exclude them) or capped
 * (claims give them room), kept up to date as their queues, limits and latencies change.
 */
export class Lanes {
  readonly #settings: LanesSettings
  readonly #byId = new Map<string, Lane>()
  /** Lanes holding all they may: claims pass their deliveries over. */
  readonly full = new Set<Lane>()
  /** Lanes that may hold only so many (a finite `cap`) and are not full: claims give them room. */
  readonly capped = new Set<Lane>()
  #recheckedAt = 0
  #sweptAt = 0

  constructor(settings: LanesSettings) {
    this.#settings = settings
  }

  get(subscriptionId: string): Lane | undefined {
    return this.#byId.get(subscriptionId)
  }

  values(): IterableIterator<Lane> {
    return this.#byId.values()
  }

  /** The lane of a claimed delivery's subscription, made if it has none. */
  of(claimed: ClaimedDelivery, now: number): Lane {
    const { id } = claimed.subscription
    let lane = this.#byId.get(id)
    if (lane === undefined) {
      const { subscriptionConcurrency, maxSubscriptionConcurrency } = this.#settings
      lane = new Lane(id, subscriptionConcurrency, maxSubscriptionConcurrency, now)
      this.#byId.set(id, lane)
    }
    return lane
  }

  /** Unstarted deliveries held by full lanes. */
  fullQueued(): number {
    let queued = 0
    for (const lane of this.full) queued += lane.queued
    return queued
  }

  /** Works out the lane's `cap` and `full` again, and the sets; returns the cap. */
  refresh(lane: Lane): number {
    const { holdWindowMs, batchSize, now } = this.#settings
    const cap = lane.holdCap(holdWindowMs, batchSize, now())
    const full = lane.queued >= cap
    const capped = cap !== Infinity && !full
    lane.cap = cap
    if (capped !== lane.capped) {
      lane.capped = capped
      if (capped) this.capped.add(lane)
      else this.capped.delete(lane)
    }
    if (full === lane.full) return cap
    lane.full = full
    if (full) {
      this.full.add(lane)
      return cap
    }
    this.full.delete(lane)
    // The claims that passed its deliveries over saw it full: they are worth another claim now.
    if (lane.passedOver) {
      lane.passedOver = false
      this.#settings.roomAgain()
    }
    return cap
  }

  /**
   * Works out again, at most every `recheckMs`, how much each lane with attempts in flight may
   * hold: one whose receiver stopped answering holds less the longer it hangs, and once it is full
   * the claims for the others go on.
   */
  recheck(): void {
    const now = this.#settings.now()
    if (now - this.#recheckedAt < recheckMs) return
    this.#recheckedAt = now
    for (const lane of this.#byId.values()) if (lane.inFlight > 0) this.refresh(lane)
  }

  /** Forgets lanes that have had nothing to do for a while (deleted subscriptions, quiet ones). */
  sweep(now: number): void {
    if (now - this.#sweptAt < laneIdleMs) return
    this.#sweptAt = now
    for (const [id, lane] of this.#byId) {
      const idle = lane.queued === 0 && lane.inFlight === 0 && lane.timer === null
      if (idle && now - lane.lastActive > laneIdleMs) {
        this.#byId.delete(id)
        this.full.delete(lane)
        this.capped.delete(lane)
      }
    }
  }
}
