import { ApiClient } from '../test/support/faults.ts'

/** How the API answered while its process was stopping. */
export interface StopAnswers {
  /** Requests answered 503 with a `Retry-After`: what a stopping server should say. */
  unavailable: number
  /** Requests answered 503 without one. */
  unavailableNoRetryAfter: number
  /** Requests whose connection was refused: a client sees the server as down, not busy. */
  refused: number
  /** Requests whose connection dropped without an answer. */
  dropped: number
  /** Requests answered some other way (served as usual, before the stop took hold). */
  served: number
  /** The first refused or dropped request's error, to show in the table. */
  firstError: string | null
}

/**
 * Keeps calling `GET /webhooks/me` on a stopping server, one request every `everyMs`, each on a
 * connection of its own pool, until `stop()`; then tells how they were answered. Requests sent in
 * the last `quietMs` before `stop()` are not counted as refused or dropped: the listener closes
 * as the process exits, and a request that meets the very end cannot be told from one refused
 * while the server still ran.
 */
export class StopProbe {
  readonly #url: string
  readonly #key: string
  readonly #everyMs: number
  readonly #results: { sentAt: number; status: number; retryAfter: boolean; error: string }[] = []
  readonly #pending = new Set<Promise<void>>()
  readonly #clients: ApiClient[] = []
  readonly #timer: NodeJS.Timeout

  constructor(url: string, key: string, everyMs = 25) {
    this.#url = url
    this.#key = key
    this.#everyMs = everyMs
    this.#timer = setInterval(() => this.#send(), this.#everyMs)
    this.#send()
  }

  #send(): void {
    // A client per request: a refused connection shows, not hidden by a kept-alive one.
    const client = new ApiClient(this.#url, 1)
    this.#clients.push(client)
    const sentAt = performance.now()
    const request = client.call('GET', '/webhooks/me', this.#key).then((answer) => {
      this.#pending.delete(request)
      const cause = (answer.error as { cause?: { code?: string } } | undefined)?.cause?.code
      const code = cause ?? (answer.error as { code?: string } | undefined)?.code ?? ''
      this.#results.push({
        sentAt,
        status: answer.status,
        retryAfter: answer.retryAfter !== undefined,
        error: answer.error === undefined ? '' : `${code} ${answer.error.message}`.trim(),
      })
    })
    this.#pending.add(request)
  }

  /** Stops sending, waits for the answers, and counts them (see the class comment). */
  async stop(quietMs = 250): Promise<StopAnswers> {
    clearInterval(this.#timer)
    const stoppedAt = performance.now()
    await Promise.all(this.#pending)
    await Promise.all(this.#clients.map((client) => client.close().catch(() => {})))
    const answers: StopAnswers = {
      unavailable: 0,
      unavailableNoRetryAfter: 0,
      refused: 0,
      dropped: 0,
      served: 0,
      firstError: null,
    }
    for (const result of this.#results) {
      if (result.status === 503) {
        if (result.retryAfter) answers.unavailable++
        else answers.unavailableNoRetryAfter++
      } else if (result.status !== 0) {
        answers.served++
      } else if (result.sentAt < stoppedAt - quietMs) {
        if (/ECONNREFUSED/.test(result.error)) answers.refused++
        else answers.dropped++
        answers.firstError ??= result.error
      }
    }
    return answers
  }
}
