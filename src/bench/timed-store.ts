import type { Store } from '../store/store.ts'

/** Calls, items and time spent in one store verb. */
export interface VerbTiming {
  calls: number
  /** Rows claimed or attempts recorded, summed over the calls. */
  items: number
  ms: number
}

/** A store wrapped for the benchmark: claims held back until `release()`, hot verbs timed. */
export interface TimedStore {
  store: Store
  /** Lets claims through from now on (until then `claimDueDeliveries` finds nothing). */
  release(): void
  /** Zeroes the timings. */
  reset(): void
  timings(): Record<'claim' | 'record' | 'publish' | 'release', VerbTiming>
}

type VerbName = 'claim' | 'record' | 'publish' | 'release'

/**
 * Wraps a store for the benchmark. Claims are held back until `release()`, so the timed phase
 * starts with the whole backlog due at once. `recordDelayMs` (diagnosis only) holds each record
 * call back. The claim, record, release and publish verbs are timed; as the SQLite store
 * runs them synchronously, the time is their SQL and row mapping.
 */
export function timedStore(inner: Store, diagnosis: { recordDelayMs?: number } = {}): TimedStore {
  let released = false
  const zero = (): VerbTiming => ({ calls: 0, items: 0, ms: 0 })
  const fresh = (): Record<VerbName, VerbTiming> => ({
    claim: zero(),
    record: zero(),
    publish: zero(),
    release: zero(),
  })
  let timings = fresh()
  const bound = new Map<PropertyKey, unknown>()

  async function timed<T>(
    verb: VerbName,
    items: (result: T) => number,
    run: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now()
    const result = await run()
    const timing = timings[verb]
    timing.ms += performance.now() - started
    timing.calls++
    timing.items += items(result)
    return result
  }

  const claimDueDeliveries: Store['claimDueDeliveries'] = async (options) =>
    released
      ? timed(
          'claim',
          (rows) => rows.length,
          () => inner.claimDueDeliveries(options),
        )
      : []
  const { recordDelayMs = 0 } = diagnosis
  const recordAttempts: Store['recordAttempts'] = async (records) => {
    // Diagnosis only: while this call waits, the worker's next batch grows, which shows what
    // larger record transactions would gain.
    if (recordDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, recordDelayMs))
    return timed(
      'record',
      () => records.length,
      () => inner.recordAttempts(records),
    )
  }
  const publishEvent: Store['publishEvent'] = (event, options) =>
    timed(
      'publish',
      (result) => result.deliveries,
      () => inner.publishEvent(event, options),
    )
  const releaseDeliveries: Store['releaseDeliveries'] = (ids, leaseToken, at) =>
    timed(
      'release',
      () => ids.length,
      () => inner.releaseDeliveries(ids, leaseToken, at),
    )
  const overrides = new Map<PropertyKey, unknown>([
    ['releaseDeliveries', releaseDeliveries],
    ['claimDueDeliveries', claimDueDeliveries],
    ['recordAttempts', recordAttempts],
    ['publishEvent', publishEvent],
  ])

  const store = new Proxy(inner, {
    get(target, key) {
      if (overrides.has(key)) return overrides.get(key)
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      // Class methods use private fields, so they must run with the real store as `this`.
      let fn = bound.get(key)
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(target)
        bound.set(key, fn)
      }
      return fn
    },
  })

  return {
    store,
    release() {
      released = true
    },
    reset() {
      timings = fresh()
    },
    timings: () => ({
      claim: { ...timings.claim },
      record: { ...timings.record },
      publish: { ...timings.publish },
      release: { ...timings.release },
    }),
  }
}

/** The timings of several stores (one per engine) added up, verb by verb. */
export function sumTimings(all: Record<VerbName, VerbTiming>[]): Record<VerbName, VerbTiming> {
  const total = (verb: VerbName): VerbTiming => ({
    calls: all.reduce((n, t) => n + t[verb].calls, 0),
    items: all.reduce((n, t) => n + t[verb].items, 0),
    ms: all.reduce((n, t) => n + t[verb].ms, 0),
  })
  return {
    claim: total('claim'),
    record: total('record'),
    publish: total('publish'),
    release: total('release'),
  }
}
