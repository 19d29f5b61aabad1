import type { EventQuery } from './store.ts'

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
    clauses.push(
      'EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status = ?)',
    )
    params.push(query.status)
  }
  return { clauses, params }
}
