import { ValidationError } from './core/errors.ts'
import type { Logger } from './core/logger.ts'
import { candidatePatterns, isEventPattern } from './core/patterns.ts'
import type { WebhookEvent } from './core/types.ts'

/** An in-process subscriber. Its errors are logged, never rethrown. */
export type EventListener = (event: WebhookEvent) => void | Promise<void>

/**
 * In-process subscribers (Oqtane's `IEventSubscriber`): each gets every matching event after it is
 * committed. One that throws is logged and affects nothing else.
 */
export class Listeners {
  readonly #byPattern = new Map<string, Set<EventListener>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Adds a listener for an event name or pattern; returns a function that removes it. */
  on(pattern: string, listener: EventListener): () => void {
    if (!isEventPattern(pattern)) {
      throw new ValidationError('pattern', "must be an event name or a pattern ending in '*'")
    }
    if (typeof listener !== 'function') throw new ValidationError('listener', 'must be a function')
    let set = this.#byPattern.get(pattern)
    if (set === undefined) {
      set = new Set()
      this.#byPattern.set(pattern, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  /** Calls every listener matching the event, on a later tick, isolating failures. */
  emit(event: WebhookEvent): void {
    if (this.#byPattern.size === 0) return
    const matched: EventListener[] = []
    for (const pattern of candidatePatterns(event.type)) {
      const set = this.#byPattern.get(pattern)
      if (set !== undefined) matched.push(...set)
    }
    if (matched.length === 0) return
    setImmediate(() => {
      for (const listener of matched) this.#call(listener, event)
    })
  }

  #call(listener: EventListener, event: WebhookEvent): void {
    const fail = (err: unknown) =>
      this.#logger.error({ err, eventId: event.id, type: event.type }, 'an event listener failed')
    try {
      const result = listener(event)
      if (result instanceof Promise) result.catch(fail)
    } catch (err) {
      fail(err)
    }
  }
}
