import { randomBytes } from 'node:crypto'
import type { Logger } from '../core/logger.ts'
import type { ClaimedDelivery, Store, SubscriptionHealth } from '../store/store.ts'
import { type AttemptContext, type AttemptResult, attemptDelivery } from './attempt.ts'
import { TokenBucket } from './token-bucket.ts'

const flushBatch = 512
const flushDelayMs = 20

/** How the worker claims and paces deliveries. */
export interface WorkerSettings {
  concurrency: number
  subscriptionConcurrency: number
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

interface Held {
  claimed: ClaimedDelivery
  claimedAt: number
}

interface SubscriptionSlot {
  inFlight: number
  waiting: Held[]
  bucket: TokenBucket | null
  rate: number | null
  timer: NodeJS.Timeout | null
}

/**
 * The delivery loop: claims due deliveries in batches under a lease, sends them with a global and a
 * per-subscription concurrency cap (and the subscription's rate limit), and records attempts in
 * batched transactions. `start()`/`stop()` are idempotent; `drain()` works whether started or not.
 */
export class DeliveryWorker {
  readonly #deps: WorkerDeps
  readonly #id = randomBytes(6).toString('hex')
  #claims = 0
  #ready: Held[] = []
  #readyHead = 0
  #waitingCount = 0
  readonly #slots = new Map<string, SubscriptionSlot>()
  // Slots with deliveries waiting for their cap or rate limit, served before the ready queue.
  readonly #waitingSlots = new Set<SubscriptionSlot>()
  #inFlight = 0
  #releasing = 0
  #claiming = false
  // A wake during a claim may be for a write that the claim's query did not see: claim again.
  #wokenWhileClaiming = false
  #lastClaimEmpty = false
  #pending: AttemptResult[] = []
  #flushTimer: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #closed = false
  #idleWaiters: (() => void)[] = []

  constructor(deps: WorkerDeps) {
    this.#deps = deps
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
    const keep = (held: Held) => held.claimed.subscription.id !== subscriptionId
    this.#ready = this.#ready.slice(this.#readyHead).filter(keep)
    this.#readyHead = 0
    const slot = this.#slots.get(subscriptionId)
    if (slot !== undefined && slot.waiting.length > 0) {
      this.#waitingCount -= slot.waiting.length
      slot.waiting = []
      this.#waitingSlots.delete(slot)
    }
    this.#checkIdle()
  }

  /** Resolves when nothing is due any more and every attempt made so far is recorded. */
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
    for (const slot of this.#slots.values()) if (slot.timer !== null) clearTimeout(slot.timer)
    // Held but unstarted deliveries go back at once, so another worker need not wait for the lease.
    const unstarted = this.#takeAllHeld()
    await this.#release(unstarted, this.#deps.attempt.now())
    const idle = this.#idle()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs)
    })
    await Promise.race([idle, timeout])
    clearTimeout(timer)
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer)
    this.#flushTimer = null
    await this.#flush()
  }

  #held(): number {
    return this.#ready.length - this.#readyHead + this.#waitingCount
  }

  #pump(): void {
    if (this.#closed || this.#claiming) return
    if (this.#held() >= this.#deps.settings.batchSize / 2 || this.#lastClaimEmpty) {
      this.#dispatch()
      this.#checkIdle()
      return
    }
    this.#claiming = true
    void this.#claim()
  }

  async #claim(): Promise<void> {
    const { store, settings, attempt, logger } = this.#deps
    const now = attempt.now()
    const limit = settings.batchSize - this.#held()
    let claimed: ClaimedDelivery[] = []
    try {
      claimed = await store.claimDueDeliveries({
        now,
        limit,
        leaseMs: settings.leaseMs,
        leaseToken: `${this.#id}.${++this.#claims}`,
      })
    } catch (err) {
      logger.error({ err }, 'claiming deliveries failed')
    }
    this.#claiming = false
    for (const c of claimed) this.#ready.push({ claimed: c, claimedAt: now })
    this.#lastClaimEmpty = claimed.length < limit && !this.#wokenWhileClaiming
    this.#wokenWhileClaiming = false
    this.#dispatch()
    if (!this.#lastClaimEmpty) this.#pump()
    this.#checkIdle()
  }

  #dispatch(): void {
    const { concurrency } = this.#deps.settings
    for (const slot of this.#waitingSlots) this.#startWaiting(slot)
    const overflow: Held[] = []
    while (this.#inFlight < concurrency && this.#readyHead < this.#ready.length) {
      const held = this.#ready[this.#readyHead++]!
      const slot = this.#slot(held.claimed)
      if (slot.waiting.length > 0 || !this.#tryStart(held, slot)) {
        if (slot.waiting.length >= this.#deps.settings.subscriptionConcurrency * 4) {
          overflow.push(held)
        } else {
          slot.waiting.push(held)
          this.#waitingSlots.add(slot)
          this.#waitingCount++
        }
      }
    }
    if (this.#readyHead > 1024 || this.#readyHead === this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead)
      this.#readyHead = 0
    }
    // A saturated subscription's surplus goes back for a second, so it cannot crowd out others.
    if (overflow.length > 0) void this.#release(overflow, this.#deps.attempt.now() + 1_000)
  }

  #slot(claimed: ClaimedDelivery): SubscriptionSlot {
    const { id, rateLimit } = claimed.subscription
    let slot = this.#slots.get(id)
    if (slot === undefined) {
      slot = { inFlight: 0, waiting: [], bucket: null, rate: null, timer: null }
      this.#slots.set(id, slot)
    }
    if (slot.rate !== rateLimit) {
      slot.rate = rateLimit
      slot.bucket = rateLimit === null ? null : new TokenBucket(rateLimit)
    }
    return slot
  }

  /** Starts `held` if its subscription has room; true when it is no longer waiting. */
  #tryStart(held: Held, slot: SubscriptionSlot): boolean {
    const { attempt, settings } = this.#deps
    // A delivery whose lease would run out mid-attempt goes back instead: another claim sends it,
    // so it is never sent twice at once.
    if (attempt.now() + attempt.timeoutMs > held.claimedAt + settings.leaseMs) {
      void this.#release([held], attempt.now())
      return true
    }
    if (slot.inFlight >= settings.subscriptionConcurrency) return false
    if (slot.bucket !== null) {
      const wait = slot.bucket.take()
      if (wait > 0) {
        slot.timer ??= setTimeout(() => {
          slot.timer = null
          this.#startWaiting(slot)
        }, wait)
        return false
      }
    }
    this.#start(held, slot)
    return true
  }

  #startWaiting(slot: SubscriptionSlot): void {
    while (slot.waiting.length > 0 && this.#inFlight < this.#deps.settings.concurrency) {
      const held = slot.waiting[0]!
      if (!this.#tryStart(held, slot)) break
      slot.waiting.shift()
      this.#waitingCount--
    }
    if (slot.waiting.length === 0) this.#waitingSlots.delete(slot)
  }

  #start(held: Held, slot: SubscriptionSlot): void {
    const { attempt } = this.#deps
    this.#inFlight++
    slot.inFlight++
    void attemptDelivery(held.claimed, 'scheduled', attempt).then((result) => {
      this.#inFlight--
      slot.inFlight--
      this.#pending.push(result)
      this.#scheduleFlush()
      if (slot.inFlight === 0 && slot.waiting.length === 0 && slot.rate === null) {
        this.#slots.delete(held.claimed.subscription.id)
      }
      this.#dispatch()
      this.#pump()
    })
  }

  // Attempts are recorded in batches: one commit costs as much as hundreds of rows, so a batch
  // waits up to `flushDelayMs` to grow while attempts are still in flight, and goes at once when
  // it is large or nothing else is coming.
  #scheduleFlush(): void {
    const now = this.#pending.length >= flushBatch || this.#inFlight === 0
    if (this.#flushTimer !== null && !now) return
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer)
    this.#flushTimer = setTimeout(
      () => {
        this.#flushTimer = null
        void this.#flush()
      },
      now ? 0 : flushDelayMs,
    )
  }

  async #flush(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing
    // The batch may have gone with an overlapping flush, whose idle check saw this flush's timer
    // still set: the check is this flush's to make, or drain() waits for a wake that may never come.
    if (this.#pending.length === 0) return this.#checkIdle()
    const batch = this.#pending
    this.#pending = []
    this.#flushing = this.#record(batch)
    await this.#flushing
    this.#flushing = null
    if (this.#pending.length > 0) this.#scheduleFlush()
    this.#checkIdle()
  }

  async #record(batch: AttemptResult[]): Promise<void> {
    const { store, logger, afterRecord } = this.#deps
    try {
      const health = await store.recordAttempts(batch.map((result) => result.record))
      await afterRecord(batch, health)
    } catch (err) {
      // The deliveries stay leased and come due again: at least once, never lost.
      logger.error({ err, attempts: batch.length }, 'recording attempts failed')
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

  #takeAllHeld(): Held[] {
    const out = this.#ready.slice(this.#readyHead)
    this.#ready = []
    this.#readyHead = 0
    for (const slot of this.#waitingSlots) {
      out.push(...slot.waiting)
      slot.waiting = []
    }
    this.#waitingSlots.clear()
    this.#waitingCount = 0
    return out
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
      this.#held() === 0 &&
      !this.#claiming &&
      (this.#lastClaimEmpty || this.#closed) &&
      this.#pending.length === 0 &&
      this.#flushing === null &&
      this.#flushTimer === null
    if (!idle) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
