import { type AttemptOutcome, decideOutcome, statusOf } from '../core/attempt-outcome.ts'
import { newId } from '../core/ids.ts'
import { signatureHeaders } from '../core/signing/index.ts'
import { iso } from '../core/time.ts'
import type { AttemptTrigger } from '../core/types.ts'
import { type CapacitySignal, capacitySignal } from './adaptive-limit.ts'
import type { AttemptRecord, ClaimedDelivery } from '../store/store.ts'
import type { SendRequest, SendResult } from './http-sender.ts'
import { buildBody } from './payload.ts'

/** Sends one POST; `HttpSender` in production. */
export interface Sender {
  send(request: SendRequest): Promise<SendResult>
  /** Ends every send in flight at once with an `interrupted` result (a shutdown). */
  interruptAll(): void
}

/** What an attempt needs beyond the delivery. */
export interface AttemptContext {
  sender: Sender
  now: () => number
  random: () => number
  timeoutMs: number
  retrySchedule: readonly number[]
  jitter: number
}

/** An attempt's record for the store, and its outcome for the engine's follow-ups. */
export interface AttemptResult {
  record: AttemptRecord
  outcome: AttemptOutcome
  claimed: ClaimedDelivery
  /** What the answer says about the receiver's capacity, for its in-flight limit. */
  capacity: CapacitySignal
}

/** The signed request of a claimed delivery, as it goes out. */
export function buildRequest(
  claimed: ClaimedDelivery,
  now: number,
  timeoutMs: number,
): SendRequest {
  const { event, subscription } = claimed
  const body = buildBody(event, subscription.payload)
  const signed = signatureHeaders({
    scheme: subscription.signatureScheme,
    secrets: subscription.secrets,
    now,
    eventId: event.id,
    eventType: event.type,
    deliveryId: claimed.id,
    timestamp: Math.floor(now / 1000),
    body,
  })
  return {
    url: subscription.config.url,
    body,
    headers: { ...subscription.headers, ...signed },
    timeoutMs,
  }
}

/** Makes one attempt of a claimed delivery and decides what happens next. Never throws. */
export async function attemptDelivery(
  claimed: ClaimedDelivery,
  trigger: AttemptTrigger,
  context: AttemptContext,
): Promise<AttemptResult> {
  const startedAt = context.now()
  const result = await context.sender.send(buildRequest(claimed, startedAt, context.timeoutMs))
  const outcome = decideOutcome({
    result,
    attemptsMade: claimed.attempts + 1,
    trigger,
    previousStatus: claimed.status,
    schedule: claimed.subscription.retrySchedule ?? context.retrySchedule,
    jitter: context.jitter,
    now: context.now(),
    random: context.random(),
  })
  const record: AttemptRecord = {
    attempt: {
      id: newId('attempt', startedAt),
      deliveryId: claimed.id,
      eventId: claimed.event.id,
      subscriptionId: claimed.subscription.id,
      tenant: claimed.event.tenant,
      trigger,
      startedAt: iso(startedAt),
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      error: result.error,
      requestHeaders: result.requestHeaders,
      responseHeaders: result.responseHeaders,
      responseBody: result.responseBody,
    },
    leaseToken: claimed.leaseToken,
    status: statusOf(outcome),
    nextAttemptAt: outcome.kind === 'retry' ? outcome.at : null,
  }
  return { record, outcome, claimed, capacity: capacitySignal(result) }
}
