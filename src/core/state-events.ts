/**
 * The events Hookrelay raises about its own subscriptions and deliveries. Each carries the
 * `subscriptionId` it is about in its data and is never delivered to that subscription.
 */
export const stateEventTypes = [
  'subscription.disabled',
  'subscription.enabled',
  'subscription.paused',
  'delivery.exhausted',
] as const

/** One of `stateEventTypes`. */
export type StateEventType = (typeof stateEventTypes)[number]
