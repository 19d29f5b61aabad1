import type { EventQuery } from './store.ts'
import { matchingStatuses } from '../core/delivery-status.ts'

/**
 * The `WHERE` clauses of `listEvents`, with `?` placeholders, shared by both adapters (the
 * PostgreSQL pager numbers them).
 */
export function eventFilters(query: EventQuery): {
  clauses: string[]
  params: (string | number)[]
} {
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
