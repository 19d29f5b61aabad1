import { randomBytes } from 'node:crypto'
import type { Logger } from '../core/logger.ts'
import type { ClaimedDelivery, Store, SubscriptionHealth } from '../store/store.ts'
import { type AttemptContext, type AttemptResult, attemptDelivery } from './attempt.ts'
import { AttemptRecorder } from './attempt-recorder.ts'
import { type Held, Lane } from './lane.ts'

/** A lane with nothing to do for this long is forgotten: its limit starts again at the floor. */
const laneIdleMs = 60_000
/** How often lanes with attempts in flight have their hold cap worked out again. */
const recheckMs = 100

/** How the worker claims and paces deliveries. */
export interface WorkerSettings {
  concurrency: number
  /** Each subscription's in-flight limit starts here and never falls below it. */
  subscriptionConcurrency: number
  /** A subscription that answers fast may earn up to this many in flight. */
  maxSubscriptionConcurrency: number
  batchSize: number
  leaseMs: number
  pollIntervalMs: number
}

/** What the worker is given: the store, how to attempt, and where results go. */
export interface WorkerDeps {
  store: Store
  attempt: AttemptContext
  settings: WorkerSettings
  logger: Logger
  /** Called after each batch of attempts is recorded, for disabling and state-change events. */
  afterRecord(results: AttemptResult[], health: SubscriptionHealth[]): Promise<void>
}

/**
 * The delivery loop: claims due deliveries in batches under a lease, queues each in its
 * subscription's lane, and starts them round robin across the lanes that have room, within a
 * global cap and each lane's adaptive limit (and rate limit); attempts are recorded in batched
 * transactions. A lane that cannot start what it holds before its leases run short (a receiver
 * that hangs or fails slowly) is full: claims pass over its deliveries, which wait in the store
 * until it has room. Nothing is ever pushed back to wait a fixed time. `start()`/`stop()` are
 * idempotent; `drain()` works whether started or not.
 */
export class DeliveryWorker {
  readonly #deps: WorkerDeps
  readonly #id = randomBytes(6).toString('hex')
  /** How long a held delivery may wait: half of what its lease leaves after an attempt's time. */
  readonly #holdWindowMs: number
  #claims = 0
  readonly #lanes = new Map<string, Lane>()
  // Lanes that have something to start and room to start it, served in turn.
  #ring: Lane[] = []
  #ringHead = 0
  readonly #fullLanes = new Set<Lane>()
  // Lanes that may hold only so many (a finite `cap`) and are not full: claims give them room.
  readonly #cappedLanes = new Set<Lane>()
  #queued = 0
  #inFlight = 0
  #releasing = 0
  #claiming = false
  // A wake during a claim may be for a write that the claim's query did not see: claim again.
  #wokenWhileClaiming = false
  #lastClaimEmpty = false
  #sweptAt = 0
  #recheckedAt = 0
  readonly #recorder: AttemptRecorder
  #timer: NodeJS.Timeout | null = null
  #closed = false
  // Stopped and recorded: an attempt that ends after this (aborted as the sender closes) is not
  // recorded; its delivery's lease runs out and it is sent again.
  #stopped = false
  #idleWaiters: (() => void)[] = []

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    const { settings, attempt } = deps
    this.#holdWindowMs = Math.max(1, (settings.leaseMs - attempt.timeoutMs) / 2)
    this.#recorder = new AttemptRecorder({
      store: deps.store,
      logger: deps.logger,
      afterRecord: deps.afterRecord,
      busy: () => this.#inFlight > 0,
      flushed: () => this.#checkIdle(),
    })
  }

  /** Starts polling for due deliveries. */
  start(): void {
    if (this.#timer !== null || this.#closed) return
    this.#timer = setInterval(() => this.#wake(), this.#deps.settings.pollIntervalMs)
    this.#timer.unref()
    this.#wake()
  }

  /** Wakes a started worker: new deliveries may be due (called after a publish). */
  notify(): void {
    // A process that runs no worker (an API process) must never claim: only `drain()` may.
    if (this.#timer !== null) this.#wake()
  }

  #wake(): void {
    this.#lastClaimEmpty = false
    if (this.#claiming) this.#wokenWhileClaiming = true
    this.#pump()
  }

  /**
   * Drops the deliveries of a subscription that this worker holds but has not started (it was
   * paused, disabled or deleted, which cancelled them in the store).
   */
  forget(subscriptionId: string): void {
    const lane = this.#lanes.get(subscriptionId)
    if (lane === undefined) return
    this.#queued -= lane.takeAll().length
    this.#refresh(lane)
    this.#checkIdle()
  }

  /**
   * Resolves when nothing is due any more and every attempt made so far is recorded: every
   * delivery that can be attempted now has been, including those a subscription's limit or rate
   * limit held back. Deliveries scheduled for a later retry are not waited for.
   */
  async drain(): Promise<void> {
    const { store } = this.#deps
    for (;;) {
      this.#wake()
      await this.#idle()
      const next = await store.nextDueAt()
      if (next === null || next > this.#deps.attempt.now()) return
    }
  }

  /** Stops claiming, waits up to `timeoutMs` for attempts in flight, records them. Idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.#closed) return
    this.#closed = true
    // Held but unstarted deliveries go back at once, so another worker need not wait for the lease.
    const unstarted: Held[] = []
    for (const lane of this.#lanes.values()) {
      if (lane.timer !== null) clearTimeout(lane.timer)
      lane.timer = null
      unstarted.push(...lane.takeAll())
    }
    this.#queued = 0
    await this.#release(unstarted, this.#deps.attempt.now())
    const idle = this.#idle()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([idle, timeout])
    clearTimeout(timer)
    await this.#recorder.flushNow()
    this.#stopped = true
  }

  /** Unstarted deliveries held by lanes that are not full: what a claim is measured against. */
  #claimable(): number {
    let full = 0
    for (const lane of this.#fullLanes) full += lane.queued
    return this.#queued - full
  }

  #pump(): void {
    if (this.#closed || this.#claiming) return
    this.#recheck()
    const { batchSize } = this.#deps.settings
    const limit = batchSize - this.#claimable()
    if (limit <= batchSize / 2 || this.#lastClaimEmpty) {
      this.#dispatch()
      this.#checkIdle()
      return
    }
    this.#claiming = true
    void this.#claim(limit)
  }

  async #claim(limit: number): Promise<void> {
    const { store, settings, attempt, logger } = this.#deps
    const now = attempt.now()
    const full = [...this.#fullLanes]
    const capped = [...this.#cappedLanes]
    let room: Record<string, number> | undefined
    for (const lane of capped) (room ??= {})[lane.id] = lane.cap - lane.queued
    let claimed: ClaimedDelivery[] = []
    let failed = false
    try {
      claimed = await store.claimDueDeliveries({
        now,
        limit,
        leaseMs: settings.leaseMs,
        leaseToken: `${this.#id}.${++this.#claims}`,
        exclude: full.length === 0 ? undefined : full.map((lane) => lane.id),
        room,
      })
    } catch (err) {
      failed = true
      logger.error({ err }, 'claiming deliveries failed')
    }
    this.#claiming = false
    // A lane that stopped being full while the claim passed it over is worth a claim at once.
    let roomAgain = false
    for (const lane of full) {
      if (lane.full) lane.passedOver = true
      else roomAgain = true
    }
    let last: Lane | undefined
    for (const c of claimed) {
      const lane = this.#lane(c, now)
      lane.push({ claimed: c, claimedAt: now })
      if (lane !== last) {
        lane.setRate(c.subscription.rateLimit)
        lane.lastActive = now
        last = lane
      }
    }
    this.#queued += claimed.length
    if (claimed.length > 0) this.#settleClaim(claimed, now)
    // A claim may come back short because a lane's room ran out while more was due: not empty.
    // A failed one waits for the next wake (a poll, a publish), not to be tried again at once.
    this.#lastClaimEmpty =
      failed ||
      (claimed.length < limit &&
        !this.#wokenWhileClaiming &&
        !roomAgain &&
        !capped.some((lane) => lane.full))
    this.#wokenWhileClaiming = false
    this.#sweep(now)
    this.#dispatch()
    if (!this.#lastClaimEmpty) this.#pump()
    this.#checkIdle()
  }

  /**
   * After a claim: each lane it added to takes its turn in the ring; a lane that now holds more
   * than it can start in time gives the surplus back at once (its later claims pass it over).
   */
  #settleClaim(claimed: ClaimedDelivery[], now: number): void {
    const { batchSize } = this.#deps.settings
    let surplus: Held[] | undefined
    let last: Lane | undefined
    for (const c of claimed) {
      const lane = this.#lanes.get(c.subscription.id)!
      if (lane === last) continue
      last = lane
      const cap = lane.holdCap(this.#holdWindowMs, batchSize, now)
      // Only where the store gave it more than the claim's room (a store that ignores `room`).
      if (lane.queued > cap) {
        const extra = lane.takeNewest(lane.queued - cap)
        this.#queued -= extra.length
        surplus = surplus === undefined ? extra : surplus.concat(extra)
      }
      this.#refresh(lane)
      this.#enqueue(lane)
    }
    if (surplus !== undefined) void this.#release(surplus, now)
  }

  #lane(claimed: ClaimedDelivery, now: number): Lane {
    const { id } = claimed.subscription
    let lane = this.#lanes.get(id)
    if (lane === undefined) {
      const { subscriptionConcurrency, maxSubscriptionConcurrency } = this.#deps.settings
      lane = new Lane(id, subscriptionConcurrency, maxSubscriptionConcurrency, now)
      this.#lanes.set(id, lane)
    }
    return lane
  }

  /** Keeps the lane's `cap` and `full`, and the sets of capped and full lanes, up to date. */
  #refresh(lane: Lane): void {
    const cap = lane.holdCap(
      this.#holdWindowMs,
      this.#deps.settings.batchSize,
      this.#deps.attempt.now(),
    )
    const full = lane.queued >= cap
    const capped = cap !== Infinity && !full
    lane.cap = cap
    if (capped !== lane.capped) {
      lane.capped = capped
      if (capped) this.#cappedLanes.add(lane)
      else this.#cappedLanes.delete(lane)
    }
    if (full === lane.full) return
    lane.full = full
    if (full) {
      this.#fullLanes.add(lane)
      return
    }
    this.#fullLanes.delete(lane)
    // The claims that passed its deliveries over saw it full: they are worth another claim now.
    if (lane.passedOver) {
      lane.passedOver = false
      this.#lastClaimEmpty = false
    }
  }

  /** Puts a lane in the ring if it has something to start and may start it. */
  #enqueue(lane: Lane): void {
    if (lane.inRing || lane.timer !== null || lane.queued === 0) return
    if (lane.inFlight >= lane.limit.current) return
    lane.inRing = true
    this.#ring.push(lane)
  }

  /** Starts deliveries, one lane at a time in turn, while the worker has room. */
  #dispatch(): void {
    const { concurrency } = this.#deps.settings
    let expired: Held[] | undefined
    while (this.#inFlight < concurrency && this.#ringHead < this.#ring.length) {
      const lane = this.#ring[this.#ringHead++]!
      lane.inRing = false
      expired = this.#startNext(lane, expired)
      this.#enqueue(lane)
    }
    if (this.#ringHead === this.#ring.length) {
      this.#ring = []
      this.#ringHead = 0
    } else if (this.#ringHead > 1_024) {
      this.#ring = this.#ring.slice(this.#ringHead)
      this.#ringHead = 0
    }
    if (expired !== undefined) void this.#release(expired, this.#deps.attempt.now())
  }

  /**
   * Starts the lane's next delivery if its limit and rate limit allow. A delivery whose lease would
   * run out mid-attempt goes back instead (into `expired`): another claim sends it, so it is never
   * sent twice at once.
   */
  #startNext(lane: Lane, expired: Held[] | undefined): Held[] | undefined {
    const { attempt, settings } = this.#deps
    if (lane.inFlight >= lane.limit.current) return expired
    const now = attempt.now()
    for (;;) {
      const held = lane.peek()
      if (held === undefined) break
      if (now + attempt.timeoutMs > held.claimedAt + settings.leaseMs) {
        lane.shift()
        this.#queued--
        ;(expired ??= []).push(held)
        continue
      }
      const wait = lane.waitForToken()
      if (wait > 0) {
        lane.timer = setTimeout(() => {
          lane.timer = null
          this.#enqueue(lane)
          this.#dispatch()
          this.#checkIdle()
        }, wait)
        break
      }
      lane.shift()
      this.#queued--
      this.#start(held, lane)
      break
    }
    this.#refresh(lane)
    return expired
  }

  #start(held: Held, lane: Lane): void {
    const { attempt } = this.#deps
    this.#inFlight++
    lane.inFlight++
    const ticket = lane.limit.start()
    const startedAt = attempt.now()
    lane.started(startedAt)
    void attemptDelivery(held.claimed, 'scheduled', attempt).then((result) => {
      if (this.#stopped) return
      this.#inFlight--
      lane.inFlight--
      lane.finished(startedAt, result.record.attempt.durationMs)
      // The limit held the lane back if it was at its limit with more waiting.
      const limited = lane.inFlight + 1 >= lane.limit.current && lane.queued > 0
      lane.limit.settle(ticket, result.capacity, limited)
      lane.lastActive = attempt.now()
      this.#recorder.add(result)
      this.#refresh(lane)
      this.#enqueue(lane)
      this.#dispatch()
      this.#pump()
    })
  }

  /**
   * Works out again, at most every `recheckMs`, how much each lane with attempts in flight may
   * hold: one whose receiver stopped answering holds less the longer it hangs, and once it is full
   * the claims for the others go on.
   */
  #recheck(): void {
    const now = this.#deps.attempt.now()
    if (now - this.#recheckedAt < recheckMs) return
    this.#recheckedAt = now
    for (const lane of this.#lanes.values()) if (lane.inFlight > 0) this.#refresh(lane)
  }

  /** Forgets lanes that have had nothing to do for a while (deleted subscriptions, quiet ones). */
  #sweep(now: number): void {
    if (now - this.#sweptAt < laneIdleMs) return
    this.#sweptAt = now
    for (const [id, lane] of this.#lanes) {
      const idle = lane.queued === 0 && lane.inFlight === 0 && lane.timer === null
      if (idle && now - lane.lastActive > laneIdleMs) {
        this.#lanes.delete(id)
        this.#fullLanes.delete(lane)
        this.#cappedLanes.delete(lane)
      }
    }
  }

  async #release(items: Held[], at: number): Promise<void> {
    this.#releasing++
    try {
      await this.#releaseNow(items, at)
    } finally {
      this.#releasing--
      this.#checkIdle()
    }
  }

  async #releaseNow(items: Held[], at: number): Promise<void> {
    const byToken = new Map<string, string[]>()
    for (const { claimed } of items) {
      const ids = byToken.get(claimed.leaseToken) ?? []
      ids.push(claimed.id)
      byToken.set(claimed.leaseToken, ids)
    }
    for (const [token, ids] of byToken) {
      try {
        await this.#deps.store.releaseDeliveries(ids, token, at)
      } catch (err) {
        this.#deps.logger.error({ err }, 'releasing deliveries failed')
      }
    }
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve)
      this.#checkIdle()
    })
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0) return
    const idle =
      this.#inFlight === 0 &&
      this.#releasing === 0 &&
      this.#queued === 0 &&
      !this.#claiming &&
      (this.#lastClaimEmpty || this.#closed) &&
      this.#recorder.idle
    if (!idle) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
