import type { Store } from '../src/store/store.ts'

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

/**
 * Wraps a store for the benchmark. Claims are held back until `release()`, so publishing during
 * the setup sends nothing even though `publish` wakes the worker (see the report on
 * `DeliveryWorker.notify`). `recordDelayMs` (diagnosis only) holds each record call back. The claim, record, release and event-insert verbs are timed; as the SQLite store
 * runs them synchronously, the time is their SQL and row mapping.
 */
export function timedStore(inner: Store, diagnosis: { recordDelayMs?: number } = {}): TimedStore {
  let released = false
  const zero = (): VerbTiming => ({ calls: 0, items: 0, ms: 0 })
  let claim = zero()
  let record = zero()
  let publish = zero()
  let release = zero()
  const bound = new Map<PropertyKey, unknown>()

  const claimDueDeliveries: Store['claimDueDeliveries'] = async (options) => {
    if (!released) return []
    const started = performance.now()
    const rows = await inner.claimDueDeliveries(options)
    claim.ms += performance.now() - started
    claim.calls++
    claim.items += rows.length
    return rows
  }
  const { recordDelayMs = 0 } = diagnosis
  const recordAttempts: Store['recordAttempts'] = async (records) => {
    // Diagnosis only: while this call waits, the worker's next batch grows (it records one batch
    // at a time), which shows what larger record transactions would gain.
    if (recordDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, recordDelayMs))
    const started = performance.now()
    const health = await inner.recordAttempts(records)
    record.ms += performance.now() - started
    record.calls++
    record.items += records.length
    return health
  }
  const insertEvent: Store['insertEvent'] = async (event, deliveries) => {
    const started = performance.now()
    const inserted = await inner.insertEvent(event, deliveries)
    publish.ms += performance.now() - started
    publish.calls++
    publish.items += deliveries.length
    return inserted
  }
  const releaseDeliveries: Store['releaseDeliveries'] = async (ids, leaseToken, at) => {
    const started = performance.now()
    await inner.releaseDeliveries(ids, leaseToken, at)
    release.ms += performance.now() - started
    release.calls++
    release.items += ids.length
  }
  const overrides = new Map<PropertyKey, unknown>([
    ['releaseDeliveries', releaseDeliveries],
    ['claimDueDeliveries', claimDueDeliveries],
    ['recordAttempts', recordAttempts],
    ['insertEvent', insertEvent],
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
      claim = zero()
      record = zero()
      publish = zero()
      release = zero()
    },
    timings: () => ({
      claim: { ...claim },
      record: { ...record },
      publish: { ...publish },
      release: { ...release },
    }),
  }
}
