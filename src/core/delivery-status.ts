import type { DeliveryStatus } from './types.ts'

/** Every delivery status, in the order a delivery goes through them. */
export const deliveryStatuses: readonly DeliveryStatus[] = [
  'pending',
  'retrying',
  'succeeded',
  'failed',
  'cancelled',
]

/**
 * The statuses of a delivery that is not over (it has a next attempt), as an SQL list for
 * `status IN …` in both stores.
 */
export const openStatusesSql = "('pending', 'retrying')"

/** What a bulk retry of the event log's deliveries sends again: those that failed. */
export const retryableStatuses: readonly DeliveryStatus[] = ['failed', 'retrying']

/** What `recover` sends again, in SQL: every delivery that did not succeed. */
export const recoverableStatusesSql = "('failed', 'retrying', 'cancelled')"

/**
 * The status a manual claim gives a delivery while its attempt is in flight, in SQL: a delivery
 * that waits for a retry keeps `retrying`, any other becomes `pending`.
 */
export const inFlightStatusSql = "CASE WHEN status = 'retrying' THEN 'retrying' ELSE 'pending' END"

/**
 * The statuses a "has failed" filter matches: a delivery that failed for good, or one that
 * failed and waits for its next attempt. Asking for `failed` means "something is wrong".
 */
export function matchingStatuses(status: DeliveryStatus): readonly DeliveryStatus[] {
  return status === 'failed' ? ['failed', 'retrying'] : [status]
}

/** The status of a delivery about to be attempted, from the attempts made before. */
export function statusBeforeAttempt(attempts: number): DeliveryStatus {
  return attempts > 0 ? 'retrying' : 'pending'
}
