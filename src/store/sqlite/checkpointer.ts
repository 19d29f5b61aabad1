import { Worker } from 'node:worker_threads'
import type { SqliteSynchronous } from './connection.ts'

/** What the checkpoint thread is started with. */
export interface CheckpointThreadData {
  path: string
  synchronous: SqliteSynchronous
}

/** The checkpoint thread's answer to one checkpoint: the log's frames, and how many are copied. */
export type CheckpointResult =
  { ok: true; frames: number; copied: number } | { ok: false; message: string }

/**
 * Log frames past which the writer waits for the running checkpoint before it writes again, by
 * default: 8,000 frames of 4 KB, a 32 MB log.
 */
export const defaultRestartFrames = 8_000

/**
 * Log frames past which the writer checkpoints on its own, as SQLite does by default: only when the
 * checkpoint thread cannot keep the log short (it died, or another process reads an old snapshot
 * for long). 32,000 frames of 4 KB: 128 MB.
 */
export const writerCheckpointFrames = 32_000

// Sources run as .ts (type stripping) and the build emits .js beside them.
const threadFile = new URL(
  import.meta.url.endsWith('.ts') ? './checkpoint-thread.ts' : './checkpoint-thread.js',
  import.meta.url,
)

/**
 * Checkpoints a database file's write-ahead log on a thread of its own, so the writer's commits
 * never wait for a checkpoint's fsyncs. The store's thread calls `committed()` after each commit;
 * one checkpoint runs at a time, and commits made while it runs are covered by the next.
 */
export class Checkpointer {
  readonly #worker: Worker
  #running = false
  #again = false
  #closed = false
  readonly #restartFrames: number
  /** The log's frames as the last checkpoint found them. */
  #frames = 0
  #waiters: (() => void)[] = []
  /** The last failure, if the last checkpoint failed: the writer's own checkpoints go on. */
  lastError: string | null = null

  private constructor(worker: Worker, restartFrames: number) {
    this.#worker = worker
    this.#restartFrames = restartFrames
    worker.on('message', (result: CheckpointResult) => {
      this.lastError = result.ok ? null : result.message
      if (result.ok) this.#frames = result.frames
      this.#running = false
      this.#wake()
      if (this.#again && !this.#closed) {
        this.#again = false
        this.#run()
      }
    })
    // A thread that died takes nothing with it: the writer checkpoints on its own past
    // `writerCheckpointFrames`.
    worker.on('error', (error) => {
      this.lastError = error.message
      this.#closed = true
      this.#wake()
    })
    worker.unref()
  }

  /** Starts the thread; `restartFrames` as `defaultRestartFrames` says. */
  static async start(
    path: string,
    synchronous: SqliteSynchronous,
    restartFrames = defaultRestartFrames,
  ): Promise<Checkpointer> {
    const worker = new Worker(threadFile, {
      workerData: { path, synchronous } satisfies CheckpointThreadData,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    })
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve())
      worker.once('error', reject)
    })
    return new Checkpointer(worker, restartFrames)
  }

  /** The writer committed: checkpoint now, or after the checkpoint running now. */
  committed(): void {
    if (this.#closed) return
    if (this.#running) this.#again = true
    else this.#run()
  }

  /**
   * When the log has grown past the restart frames and a checkpoint is running: a promise of its
   * end.
   * The writer waits for it before its next write, which then starts the log over. Without the
   * wait, a writer that never pauses always begins while the checkpoint of its last commit is
   * still copying, and the log only grows.
   */
  untilCaughtUp(): Promise<void> | null {
    if (this.#closed || !this.#running || this.#frames < this.#restartFrames) return null
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  #run(): void {
    this.#running = true
    this.#worker.postMessage('checkpoint')
  }

  /** Stops the thread after the checkpoint running now, if any. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()))
    this.#worker.postMessage('close')
    await exited
  }
}
