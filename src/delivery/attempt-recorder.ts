import type { Logger } from '../core/logger.ts'
import type { Store, FailureRun } from '../store/store.ts'
import type { AttemptResult } from './attempt.ts'

const flushBatch = 512
const flushDelayMs = 20

/** What the recorder is given. */
export interface RecorderDeps {
  store: Store
  logger: Logger
  /** Called after each batch of attempts is recorded, for disabling and state-change events. */
  afterRecord(results: AttemptResult[], health: FailureRun[]): Promise<void>
  /** Whether attempts are still in flight: a batch then waits a little to grow. */
  busy(): boolean
  /** Called whenever a flush ends: the worker may have become idle. */
  flushed(): void
}

/**
 * Records attempts in batches: one commit costs as much as hundreds of rows, so a batch waits up
 * to `flushDelayMs` to grow while attempts are still in flight, and goes at once when it is large
 * or nothing else is coming.
 */
export class AttemptRecorder {
  readonly #deps: RecorderDeps
  #pending: AttemptResult[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null

  constructor(deps: RecorderDeps) {
    this.#deps = deps
  }

  /** Nothing waits to be recorded, and no flush is under way or due. */
  get idle(): boolean {
    return this.#pending.length === 0 && this.#flushing === null && this.#timer === null
  }

  add(result: AttemptResult): void {
    this.#pending.push(result)
    this.#schedule()
  }

  /** Records what waits now, without the delay. */
  async flushNow(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.#flush()
  }

  #schedule(): void {
    const now = this.#pending.length >= flushBatch || !this.#deps.busy()
    if (this.#timer !== null && !now) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(
      () => {
        this.#timer = null
        void this.#flush()
      },
      now ? 0 : flushDelayMs,
    )
  }

  async #flush(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing
    // The batch may have gone with an overlapping flush, whose idle check saw this flush's timer
    // still set: the check is this flush's to make, or drain() waits for a wake that may never come.
    if (this.#pending.length === 0) return this.#deps.flushed()
    const batch = this.#pending
    this.#pending = []
    this.#flushing = this.#record(batch)
    await this.#flushing
    this.#flushing = null
    if (this.#pending.length > 0) this.#schedule()
    this.#deps.flushed()
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
}
