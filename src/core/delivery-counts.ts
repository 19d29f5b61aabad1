import type { DeliveryCounts } from './types.ts'

/** Counts of an event without deliveries: zero in every status. */
export function emptyDeliveryCounts(): DeliveryCounts {
  return { pending: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 }
}

/**
 * Folds `(event_id, status, n)` rows into counts for each of `eventIds`, zeros included: what
 * both store adapters answer `countDeliveries` with.
 */
export function deliveryCountsByEvent(
  eventIds: readonly string[],
  rows: readonly Record<string, unknown>[],
): Record<string, DeliveryCounts> {
  const counts: Record<string, DeliveryCounts> = {}
  for (const id of eventIds) counts[id] = emptyDeliveryCounts()
  for (const row of rows) {
    const of = counts[row.event_id as string]
    if (of !== undefined) of[row.status as keyof DeliveryCounts] = Number(row.n)
  }
  return counts
}
