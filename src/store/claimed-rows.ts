/**
 * What both stores do with the rows a claim leased: an event from its columns, and each row paired
 * with its event and subscription.
 */
import { statusBeforeAttempt } from '../core/delivery-status.ts'
import { iso } from '../core/time.ts'
import type { StoredSubscription } from '../core/types.ts'
import type { ClaimedDelivery, ClaimedEvent } from './store.ts'
import type { Row } from './row-mapping.ts'

/**
 * A claimed delivery's event from `row`'s columns `id`, `tenant`, `type`, `timestamp` and
 * `data`, each with `prefix` before its name.
 */
export function toClaimedEvent(row: Row, prefix = ''): ClaimedEvent {
  return {
    id: row[`${prefix}id`] as string,
    tenant: row[`${prefix}tenant`] as string,
    type: row[`${prefix}type`] as string,
    timestamp: iso(row[`${prefix}timestamp`] as number),
    dataJson: row[`${prefix}data`] as string,
  }
}

/**
 * Pairs each leased row (`id`, `event_id`, `subscription_id`, `attempts`) with its event and
 * subscription, in the rows' order. `orphans` are the ids of the rows whose event or subscription
 * is gone, or, with `onlyActive` (scheduled claims), whose subscription is not active: the store
 * cancels them. Pausing, disabling and deleting cancel pending deliveries, so this is only a guard
 * (against a recover, a retry or a publish racing a pause): such a delivery must not be sent, nor
 * come due again after every lease forever. A manual re-send is a person's explicit wish and goes
 * to a paused or disabled subscription too.
 */
export function pairClaims(
  rows: Row[],
  events: ReadonlyMap<string, ClaimedEvent>,
  subscriptions: ReadonlyMap<string, StoredSubscription>,
  leaseToken: string,
  onlyActive: boolean,
): { claimed: ClaimedDelivery[]; orphans: string[] } {
  const claimed: ClaimedDelivery[] = []
  const orphans: string[] = []
  for (const row of rows) {
    const event = events.get(row.event_id as string)
    const subscription = subscriptions.get(row.subscription_id as string)
    if (
      event === undefined ||
      subscription === undefined ||
      (onlyActive && subscription.state !== 'active')
    ) {
      orphans.push(row.id as string)
      continue
    }
    claimed.push({
      id: row.id as string,
      status: statusBeforeAttempt(row.attempts as number),
      attempts: row.attempts as number,
      leaseToken,
      event,
      subscription,
    })
  }
  return { claimed, orphans }
}
