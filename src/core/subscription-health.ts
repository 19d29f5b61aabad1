import type { StoredSubscription, Subscription, SubscriptionHealth } from './types.ts'

/** The auto-disable rule: this many failed attempts in a row, failing for at least this long. */
export interface DisableRule {
  failures: number
  periodMs: number
}

/** How a subscription's receiver is doing, from its state and its run of failures. */
export function healthOf(
  s: Pick<Subscription, 'state' | 'consecutiveFailures'>,
): SubscriptionHealth {
  if (s.state === 'disabled') return 'disabled'
  return s.consecutiveFailures > 0 ? 'failing' : 'healthy'
}

/**
 * The subscription as callers see it: without its secrets, with its health and the earliest time
 * the auto-disable rule can turn it off (`failingSince` plus the rule's period; only an active
 * subscription is attempted, so only one can be turned off).
 */
export function toPublic(stored: StoredSubscription, rule: DisableRule): Subscription {
  const { secrets: _secrets, ...rest } = stored
  const failing = stored.state === 'active' && stored.failingSince !== null
  const disablesAt = failing ? Date.parse(stored.failingSince!) + rule.periodMs : null
  return {
    ...rest,
    health: healthOf(stored),
    disablesAt: disablesAt === null ? null : new Date(disablesAt).toISOString(),
  }
}
