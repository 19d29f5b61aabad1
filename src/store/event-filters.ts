import type { EventQuery, RetryQuery } from './store.ts'
import { matchingStatuses, retryableStatuses } from '../core/delivery-status.ts'

/** `WHERE` clauses with `?` placeholders, and their values in order. */
export interface FilterClauses {
  clauses: string[]
  params: (string | number)[]
}

/**
 * The `WHERE` clauses of `listEvents`, with `?` placeholders, shared by both adapters (the
 * PostgreSQL pager numbers them).
 */
export function eventFilters(query: Omit<EventQuery, 'limit' | 'cursor'>): FilterClauses {
  const clauses = ['tenant = ?']
  const params: (string | number)[] = [query.tenant]
  if (query.type !== undefined) {
    clauses.push('type = ?')
    params.push(query.type)
  }
  if (query.since !== undefined) {
    clauses.push('timestamp >= ?')
    params.push(query.since)
  }
  if (query.until !== undefined) {
    clauses.push('timestamp < ?')
    params.push(query.until)
  }
  if (query.status !== undefined) {
    // Served by the deliveries_event index: a handful of rows per event.
    const statuses = matchingStatuses(query.status)
    clauses.push(
      `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id
         AND d.status IN (${statuses.map(() => '?').join(', ')}))`,
    )
    params.push(...statuses)
  }
  return { clauses, params }
}

/** Of a delivery in `retryDeliveries`: its subscription is active (else it is left, skipped). */
export const ofActiveSubscriptionSql = `EXISTS (SELECT 1 FROM subscriptions s
  WHERE s.id = deliveries.subscription_id AND s.state = 'active')`

/**
 * The `WHERE` clauses over `deliveries` of `retryDeliveries`, shared by both adapters: the failed
 * and retrying deliveries (narrowed by `status`) of the events `eventFilters` selects. Null when
 * `status` selects none. The events are found by their index first (tenant and type, or tenant
 * and time), then their deliveries by `deliveries_event`.
 */
export function retryFilters(query: RetryQuery): FilterClauses | null {
  const { tenant, type, since, until, status } = query
  const wanted = status === undefined ? retryableStatuses : matchingStatuses(status)
  const statuses = retryableStatuses.filter((s) => wanted.includes(s))
  if (statuses.length === 0) return null
  const selected = eventFilters({ tenant, type, since, until })
  return {
    clauses: [
      `status IN (${statuses.map(() => '?').join(', ')})`,
      `event_id IN (SELECT id FROM events WHERE ${selected.clauses.join(' AND ')})`,
    ],
    params: [...statuses, ...selected.params],
  }
}
