import { newId } from '../src/core/ids.ts'
import type { AttemptRecord, ClaimedDelivery } from '../src/store/store.ts'

/**
 * What a worker records for claimed deliveries that all answered 200 at once with an empty body,
 * as the bench's receiver does: for timing the write path without sending anything.
 */
export function successRecords(claimed: ClaimedDelivery[]): AttemptRecord[] {
  return claimed.map((c) => ({
    attempt: {
      id: newId('attempt'),
      deliveryId: c.id,
      eventId: c.event.id,
      subscriptionId: c.subscription.id,
      tenant: c.event.tenant,
      trigger: 'scheduled',
      startedAt: new Date().toISOString(),
      durationMs: 1,
      statusCode: 200,
      error: null,
      requestHeaders: {
        'content-type': 'application/json',
        'webhook-id': c.event.id,
        'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      responseHeaders: {
        'content-length': '0',
        connection: 'keep-alive',
        date: new Date().toUTCString(),
      },
      responseBody: '',
    },
    leaseToken: c.leaseToken,
    status: 'succeeded',
    nextAttemptAt: null,
  }))
}
