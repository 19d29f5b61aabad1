import { ms } from '../../core/time.ts'
import type { AttemptTrigger, DeliveryStatus } from '../../core/types.ts'
import type { AttemptRecord } from '../store.ts'

/**
 * An attempt record as the SQLite write path takes it: its column values in a flat tuple, times
 * as epoch ms and headers as JSON text. The threaded store builds these on the main thread, where
 * they cost less to send than the records' nested objects cost to clone and take apart.
 */
export type AttemptRow = [
  id: string,
  deliveryId: string,
  eventId: string,
  subscriptionId: string,
  tenant: string,
  trigger: AttemptTrigger,
  startedAt: number,
  durationMs: number,
  statusCode: number | null,
  error: string | null,
  requestHeadersJson: string,
  responseHeadersJson: string,
  responseBody: string,
  leaseToken: string,
  status: DeliveryStatus,
  nextAttemptAt: number | null,
]

/** Flattens records into rows, in order. */
export function toAttemptRows(records: AttemptRecord[]): AttemptRow[] {
  return records.map(({ attempt: a, leaseToken, status, nextAttemptAt }) => [
    a.id,
    a.deliveryId,
    a.eventId,
    a.subscriptionId,
    a.tenant,
    a.trigger,
    ms(a.startedAt),
    a.durationMs,
    a.statusCode,
    a.error,
    JSON.stringify(a.requestHeaders),
    JSON.stringify(a.responseHeaders),
    a.responseBody,
    leaseToken,
    status,
    nextAttemptAt,
  ])
}

/** The earliest next attempt the rows schedule (a retry), or null when none has one. */
export function earliestRetry(rows: readonly AttemptRow[]): number | null {
  let earliest: number | null = null
  for (const row of rows) {
    const next = row[15]
    if (next !== null && (earliest === null || next < earliest)) earliest = next
  }
  return earliest
}
