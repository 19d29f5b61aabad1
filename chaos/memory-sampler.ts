import { readFile } from 'node:fs/promises'

/**
 * Samples a process's resident memory (`VmRSS` in /proc/<pid>/status) every `everyMs`, so a
 * scenario can say how much memory a process took at its worst, as the kernel counts it, rather
 * than as the process reports its own heap. The peak so far can be read and started over, to
 * compare one phase of a run with another.
 */
export class MemorySampler {
  readonly #pid: number
  readonly #timer: NodeJS.Timeout
  #peak = 0
  #samples = 0

  constructor(pid: number, everyMs = 200) {
    this.#pid = pid
    this.#timer = setInterval(() => void this.sample(), everyMs)
    void this.sample()
  }

  /** Reads the resident memory now; keeps it if it is the most so far. Bytes, or 0 once gone. */
  async sample(): Promise<number> {
    let bytes = 0
    try {
      const status = await readFile(`/proc/${this.#pid}/status`, 'utf8')
      bytes = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024
    } catch {
      // The process has exited: nothing to add.
    }
    if (bytes > 0) this.#samples++
    this.#peak = Math.max(this.#peak, bytes)
    return bytes
  }

  /** The most resident memory sampled since the start or the last `restart` (bytes). */
  get peak(): number {
    return this.#peak
  }

  /** How many samples read a figure since the start or the last `restart`. */
  get samples(): number {
    return this.#samples
  }

  /** Starts the peak and sample count over, for the next phase. */
  restart(): void {
    this.#peak = 0
    this.#samples = 0
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
