import type { StateEventType } from './core/state-events.ts'
import type { AttemptContext, AttemptResult } from './delivery/attempt.ts'
import type { HttpSender } from './delivery/http-sender.ts'
import type { SsrfGuard } from './delivery/ssrf-guard.ts'
import type { KeyedLock } from './keyed-lock.ts'
import type { ResolvedOptions } from './options.ts'
import type { Store, FailureRun } from './store/store.ts'

/** The parts every API object of one Hookrelay instance shares. Internal. */
export interface EngineContext {
  store: Store
  guard: SsrfGuard
  sender: HttpSender
  options: ResolvedOptions
  attempt: AttemptContext
  /** Publishes a state-change event, never to the subscription it is about. */
  systemEvent(
    tenant: string,
    type: StateEventType,
    data: Record<string, unknown>,
    subjectId: string,
  ): Promise<void>
  /** Wakes the worker: deliveries were queued. */
  notify(): void
  /** Tells the worker a subscription stopped being active: held deliveries of it are dropped. */
  forget(subscriptionId: string): void
  /** Serialises read-change-write of one subscription, keyed by its id. */
  lock: KeyedLock
  /** Follow-ups of recorded attempts: disabling, `delivery.exhausted`. */
  afterRecord(results: AttemptResult[], health: FailureRun[]): Promise<void>
}
