import { newId } from '../../core/ids.ts'
import type { WebhookEvent } from '../../core/types.ts'
import { fanOutSlice } from '../fan-out-slices.ts'
import type { InsertedEvent, NewDelivery } from '../store.ts'
import type { SqliteConnection } from './connection.ts'
import type { EventsSql } from './events-sql.ts'
import type { FanOutsSql } from './fan-outs-sql.ts'
import type { SubscriptionsSql } from './subscriptions-sql.ts'

/** A publish's result, and from when its written deliveries are due (null when none was). */
export interface Published {
  inserted: InsertedEvent
  dueFrom: number | null
}

/**
 * The SQLite store's publish: the event and one delivery per matching active subscription in one
 * transaction. With `queueFanOuts` (the store's thread writes them later), more than
 * `fanOutSlice` deliveries are queued as slices instead of written.
 */
export function publishSql(
  conn: SqliteConnection,
  subscriptions: SubscriptionsSql,
  events: EventsSql,
  fanOuts: FanOutsSql,
  queueFanOuts: boolean,
) {
  return (event: WebhookEvent, excludeSubscriptionId: string | undefined): Published =>
    conn.transaction(() => {
      const at = Date.parse(event.timestamp)
      const ids: string[] = []
      for (const subscription of subscriptions.match(event.tenant, event.type)) {
        if (subscription.id !== excludeSubscriptionId) ids.push(subscription.id)
      }
      const queue = queueFanOuts && ids.length > fanOutSlice
      const deliveries: NewDelivery[] = queue
        ? []
        : ids.map((subscriptionId) => ({ id: newId('delivery', at), subscriptionId }))
      const inserted = events.insert(event, deliveries)
      if (!inserted.inserted) {
        // The first publish's deliveries, written or still queued.
        const queued = fanOuts.queuedFor(inserted.event.id)
        return {
          inserted: { ...inserted, deliveries: inserted.deliveries + queued },
          dueFrom: null,
        }
      }
      if (queue) {
        fanOuts.queue(event.id, ids)
        return { inserted: { ...inserted, deliveries: ids.length }, dueFrom: null }
      }
      return { inserted, dueFrom: deliveries.length > 0 ? at : null }
    })
}
