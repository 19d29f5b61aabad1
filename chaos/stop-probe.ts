import { ApiClient } from '../test/support/faults.ts'

/** How the API answered while its process was stopping. */
export interface StopAnswers {
  /** Requests answered 503 with a `Retry-After`: what a stopping server should say. */
  unavailable: number
  /** Requests answered 503 without one. */
  unavailableNoRetryAfter: number
  /** Requests answered some other way (served as usual, before the stop took hold). */
  served: number
  /**
   * Requests that got no answer: the connection refused (the port closed) or dropped (reset as
   * the listener closed). A client sees the server as down, not as busy.
   */
  unanswered: number
  /**
   * How long before the process exited the first unanswered request was sent (ms): how long the
   * port was closed while the process still ran. Null when every request got an answer.
   */
  closedBeforeExitMs: number | null
  /** Unanswered requests sent before one that was answered: the port closed, then open again. */
  unansweredThenAnswered: number
  /** The first unanswered request's error, to show in the table. */
  firstError: string | null
}

/**
 * Keeps calling `GET /webhooks/me` on a stopping server, one request every `everyMs`, each on a
 * connection of its own (a kept-alive one would hide a closed port), from the signal until
 * `exited()`; then tells how they were answered. Every process stops listening at some moment
 * before it exits; what counts is how early (`closedBeforeExitMs`).
 */
export class StopProbe {
  readonly #url: string
  readonly #key: string
  readonly #results: { sentAt: number; status: number; retryAfter: boolean; error: string }[] = []
  readonly #pending = new Set<Promise<void>>()
  readonly #clients: ApiClient[] = []
  readonly #timer: NodeJS.Timeout

  constructor(url: string, key: string, everyMs = 25) {
    this.#url = url
    this.#key = key
    this.#timer = setInterval(() => this.#send(), everyMs)
    this.#send()
  }

  #send(): void {
    const client = new ApiClient(this.#url, 1)
    this.#clients.push(client)
    const sentAt = performance.now()
    const request = client.call('GET', '/webhooks/me', this.#key).then((answer) => {
      this.#pending.delete(request)
      const error = answer.error as
        (Error & { code?: string; cause?: { code?: string } }) | undefined
      const code = error?.cause?.code ?? error?.code ?? ''
      this.#results.push({
        sentAt,
        status: answer.status,
        retryAfter: answer.retryAfter !== undefined,
        error: error === undefined ? '' : `${code} ${error.message}`.trim(),
      })
    })
    this.#pending.add(request)
  }

  /** The process has exited (now): stops sending, waits for the answers, and counts them. */
  async exited(): Promise<StopAnswers> {
    clearInterval(this.#timer)
    const exitedAt = performance.now()
    await Promise.all(this.#pending)
    await Promise.all(this.#clients.map((client) => client.close().catch(() => {})))
    const answers: StopAnswers = {
      unavailable: 0,
      unavailableNoRetryAfter: 0,
      served: 0,
      unanswered: 0,
      closedBeforeExitMs: null,
      unansweredThenAnswered: 0,
      firstError: null,
    }
    const lastAnswered = Math.max(
      -Infinity,
      ...this.#results.filter((r) => r.status !== 0).map((r) => r.sentAt),
    )
    for (const result of this.#results) {
      if (result.status === 503) {
        if (result.retryAfter) answers.unavailable++
        else answers.unavailableNoRetryAfter++
      } else if (result.status !== 0) {
        answers.served++
      } else {
        answers.unanswered++
        answers.firstError ??= result.error
        answers.closedBeforeExitMs = Math.max(
          answers.closedBeforeExitMs ?? 0,
          exitedAt - result.sentAt,
        )
        if (result.sentAt < lastAnswered) answers.unansweredThenAnswered++
      }
    }
    return answers
  }
}
