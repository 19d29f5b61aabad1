import { randomBytes } from 'node:crypto'
import type { Logger } from '../core/logger.ts'
import type { ClaimedDelivery, Store, FailureRun } from '../store/store.ts'
import { type AttemptContext, type AttemptResult, attemptDelivery } from './attempt.ts'
import { AttemptRecorder } from './attempt-recorder.ts'
import type { Held, Lane } from './lane.ts'
import { Lanes } from './lanes.ts'

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
  afterRecord(results: AttemptResult[], health: FailureRun[]): Promise<void>
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
  #claims = 0
  readonly #lanes: Lanes
  // Lanes that have something to start and room to start it, served in turn.
  #ring: Lane[] = []
  #ringHead = 0
  #queued = 0
  #inFlight = 0
  #releasing = 0
  #claiming = false
  // A wake during a claim may be for a write that the claim's query did not see: claim again.
  #wokenWhileClaiming = false
  #lastClaimEmpty = false
  readonly #recorder: AttemptRecorder
  #timer: NodeJS.Timeout | null = null
  #closed = false
  // Stopped and recorded: an attempt that ends after this (only where the store could not record
  // within the stop's bound) is not recorded; its delivery's lease runs out and it is sent again.
  #stopped = false
  #idleWaiters: (() => void)[] = []

  constructor(deps: WorkerDeps) {
    this.#deps = deps
    const { settings, attempt } = deps
    this.#lanes = new Lanes({
      ...settings,
      // A held delivery may wait half of what its lease leaves after an attempt's time.
      holdWindowMs: Math.max(1, (settings.leaseMs - attempt.timeoutMs) / 2),
      now: attempt.now,
      roomAgain: () => {
        this.#lastClaimEmpty = false
      },
    })
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
    this.#lanes.refresh(lane)
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

  /**
   * Stops claiming and gives back what it holds unstarted; waits up to `timeoutMs` for attempts in
   * flight, then interrupts the rest, which are recorded as interrupted and due again at once (the
   * next worker sends them without waiting for a lease). Resolves once every attempt is recorded.
   * Idempotent.
   */
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
    if (!(await this.#idleWithin(timeoutMs))) {
      this.#deps.logger.warn(
        { inFlight: this.#inFlight, graceMs: timeoutMs },
        'shutdown grace over: interrupting the attempts still in flight; they are due again at once',
      )
      this.#deps.attempt.sender.interruptAll()
      // Interrupted attempts settle at once; the wait bounds only a store too slow to record them.
      await this.#idleWithin(10_000)
    }
    await this.#recorder.flushNow()
    this.#stopped = true
  }

  /** Whether the worker became idle within `ms`. */
  async #idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms)
    })
    const idle = await Promise.race([this.#idle().then(() => true), timeout])
    clearTimeout(timer)
    return idle
  }

  #pump(): void {
    if (this.#closed || this.#claiming) return
    this.#lanes.recheck()
    const { batchSize } = this.#deps.settings
    // Measured against what the lanes that are not full hold: a full one never stops the claims.
    const limit = batchSize - (this.#queued - this.#lanes.fullQueued())
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
    const full = [...this.#lanes.full]
    const capped = [...this.#lanes.capped]
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
      const lane = this.#lanes.of(c, now)
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
    this.#lanes.sweep(now)
    this.#dispatch()
    if (!this.#lastClaimEmpty) this.#pump()
    this.#checkIdle()
  }

  /**
   * After a claim: each lane it added to takes its turn in the ring; a lane that now holds more
   * than it can start in time gives the surplus back at once (its later claims pass it over).
   */
  #settleClaim(claimed: ClaimedDelivery[], now: number): void {
    let surplus: Held[] | undefined
    let last: Lane | undefined
    for (const c of claimed) {
      const lane = this.#lanes.get(c.subscription.id)!
      if (lane === last) continue
      last = lane
      const cap = this.#lanes.refresh(lane)
      // Only where the store gave it more than the claim's room (a store that ignores `room`).
      if (lane.queued > cap) {
        const extra = lane.takeNewest(lane.queued - cap)
        this.#queued -= extra.length
        surplus = surplus === undefined ? extra : surplus.concat(extra)
        this.#lanes.refresh(lane)
      }
      this.#enqueue(lane)
    }
    if (surplus !== undefined) void this.#release(surplus, now)
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
    this.#lanes.refresh(lane)
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
      this.#lanes.refresh(lane)
      this.#enqueue(lane)
      this.#dispatch()
      this.#pump()
    })
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
