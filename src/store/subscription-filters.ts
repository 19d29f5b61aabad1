import type { SubscriptionQuery } from './store.ts'

/**
 * The `WHERE` clauses of `listSubscriptions` both adapters share, with `?` placeholders (the
 * PostgreSQL pager numbers them); each adds its own for `event`.
 */
export function subscriptionFilters(query: SubscriptionQuery): {
  clauses: string[]
  params: (string | number)[]
} {
  const clauses = ['tenant = ?']
  const params: (string | number)[] = [query.tenant]
  if (query.name !== undefined) {
    clauses.push('name = ?')
    params.push(query.name)
  }
  if (query.state !== undefined) {
    clauses.push('state = ?')
    params.push(query.state)
  }
  // As `healthOf` decides it.
  if (query.health === 'disabled') clauses.push("state = 'disabled'")
  if (query.health === 'failing') clauses.push("state <> 'disabled' AND consecutive_failures > 0")
  if (query.health === 'healthy') clauses.push("state <> 'disabled' AND consecutive_failures = 0")
  return { clauses, params }
}
