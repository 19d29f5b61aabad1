/**
 * Hookrelay: webhooks for TypeScript. `createHookrelay()` is the way in.
 *
 * @example
 * import { createHookrelay } from 'hookrelay'
 * const hooks = await createHookrelay({ database: 'hooks.db' })
 */

export {
  type AdminKeyInput,
  type ApiKeyInput,
  type CreatedApiKey,
  hashApiKey,
  type TenantInput,
} from './access-api.ts'
export {
  ConflictError,
  type ErrorCode,
  HookrelayError,
  NotFoundError,
  UnavailableError,
  UnsafeUrlError,
  ValidationError,
} from './core/errors.ts'
export type { EntityChangeInput, PublishInput } from './core/event-input.ts'
export type { Logger } from './core/logger.ts'
export { defaultRetrySchedule } from './core/retry-schedule.ts'
export { generateSecret } from './core/signing/index.ts'
export type { SubscriptionInput, SubscriptionPatch } from './core/subscription-input.ts'
export type * from './core/types.ts'
export type { CatalogueEntry, EventTypeInput } from './event-types.ts'
export type { Percentiles, SubscriptionStats, SubscriptionSummary } from './core/attempt-stats.ts'
export type {
  EventDetail,
  EventListQuery,
  EventRetryQuery,
  EventRetryResult,
  ListedEvent,
} from './events-api.ts'
export type { StatsWindow } from './stats-api.ts'
export {
  createHookrelay,
  Hookrelay,
  type EngineObserver,
  type PublishedEvent,
  type PublishOptions,
} from './hookrelay.ts'
export type { EventListener } from './listeners.ts'
export type { HookrelayOptions } from './options.ts'
export type * from './store/store.ts'
export type {
  CreatedSubscription,
  RecoverAllResult,
  PingResult,
  RotatedSecret,
  SubscriptionListQuery,
} from './subscriptions-api.ts'
