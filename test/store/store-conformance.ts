import { afterEach, beforeEach, describe } from 'node:test'
import type { Store } from '../../src/store/store.ts'
import { accessCases } from './conformance/access.ts'
import { attemptCases } from './conformance/attempts.ts'
import type { StoreContext } from './conformance/builders.ts'
import { claimCases } from './conformance/claims.ts'
import { eventCases } from './conformance/events.ts'
import { lifecycleCases } from './conformance/lifecycle.ts'
import { matchingCases } from './conformance/matching.ts'
import { publishedTypeCases } from './conformance/published-types.ts'
import { retryCases } from './conformance/retries.ts'
import { subscriptionCases } from './conformance/subscriptions.ts'

/**
 * The store conformance suite: what every verb of the `Store` port must do, run unchanged against
 * each adapter. `create` makes a fresh, empty store; each test gets its own and closes it.
 *
 * @example
 * describeStore('sqlite :memory:', () => openSqliteStore({ path: ':memory:' }))
 */
export function describeStore(name: string, create: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let current: Store | undefined
    const ctx: StoreContext = {
      get store(): Store {
        if (current === undefined) throw new Error('no store: used outside a test')
        return current
      },
    }

    beforeEach(async () => {
      current = await create()
    })

    afterEach(async () => {
      await current?.close()
      current = undefined
    })

    subscriptionCases(ctx)
    matchingCases(ctx)
    eventCases(ctx)
    publishedTypeCases(ctx)
    claimCases(ctx)
    attemptCases(ctx)
    lifecycleCases(ctx)
    retryCases(ctx)
    accessCases(ctx)
  })
}
