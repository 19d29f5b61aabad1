import { clampRetryAfter, retryDelay } from './retry-schedule.ts'
import type { AttemptTrigger, DeliveryStatus } from './types.ts'

/** What one HTTP call produced, as the sender reports it. */
export interface CallResult {
  /** The receiver's status, or null when no answer came. */
  statusCode: number | null
  /**
   * Why the call failed without an answer: a refused URL never gets retried; an attempt
   * `interrupted` by the worker shutting down is due again at once.
   */
  failure: 'unsafe_url' | 'timeout' | 'network' | 'interrupted' | null
  /** The receiver's `Retry-After`, in ms from now, when it sent one. */
  retryAfterMs: number | null
}

/** What happens to a delivery after an attempt. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; at: number }
  | { kind: 'failed'; reason: 'exhausted' | 'gone' | 'unsafe_url' | 'manual' }

/** The inputs of `decideOutcome`, all plain data. */
export interface OutcomeInput {
  result: CallResult
  /** Attempts made including this one. */
  attemptsMade: number
  trigger: AttemptTrigger
  /** The delivery's status before this attempt: a manual retry of a finished delivery does not
   * restart its schedule. */
  previousStatus: DeliveryStatus
  schedule: readonly number[]
  jitter: number
  now: number
  random: number
}

/** Whether a status code counts as success: any 2xx. Redirects are failures. */
export function isSuccess(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300
}

/**
 * Decides a delivery's fate after an attempt: success on 2xx; a permanent failure on 410 Gone or a
 * refused URL; due again at once when the worker's shutdown interrupted it (whatever the schedule
 * says: it was not the receiver's answer); otherwise the next retry of the schedule (honouring
 * `Retry-After` on 429/503), or failure once the schedule is exhausted.
 */
export function decideOutcome(input: OutcomeInput): AttemptOutcome {
  const { result } = input
  if (isSuccess(result.statusCode)) return { kind: 'succeeded' }
  if (result.statusCode === 410) return { kind: 'failed', reason: 'gone' }
  if (result.failure === 'unsafe_url') return { kind: 'failed', reason: 'unsafe_url' }
  const open = input.previousStatus === 'pending' || input.previousStatus === 'retrying'
  if (input.trigger === 'manual' && !open) {
    return { kind: 'failed', reason: 'manual' }
  }
  if (result.failure === 'interrupted') return { kind: 'retry', at: input.now }
  const delay = retryDelay(input.attemptsMade, input.schedule, input.jitter, input.random)
  if (delay === null) return { kind: 'failed', reason: 'exhausted' }
  const wantsPause = result.statusCode === 429 || result.statusCode === 503
  const wait =
    wantsPause && result.retryAfterMs !== null ? clampRetryAfter(result.retryAfterMs, delay) : delay
  return { kind: 'retry', at: input.now + wait }
}

/** The delivery status an outcome leads to. */
export function statusOf(outcome: AttemptOutcome): DeliveryStatus {
  switch (outcome.kind) {
    case 'succeeded':
      return 'succeeded'
    case 'retry':
      return 'retrying'
    case 'failed':
      return 'failed'
  }
}
