import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CreatedSubscription, RotatedSecret, Subscription } from '../../src/index.ts'
import { useEngine } from '../support/engine.ts'

// These checks are types first: `npm run typecheck` fails when one breaks, and the runtime
// assertions check that the values match what the types promise.

/** True only when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

const t = useEngine()
const subscribe = (name: string) =>
  t.hooks.subscriptions.create({
    tenant: 'acme',
    name,
    events: ['order.*'],
    config: { url: `${t.receiver.url}/${name}` },
  })

describe('the types of subscription answers', () => {
  it('create answers config.secret as a required string, and only create does', async () => {
    const created = await subscribe('typed')
    const exact: Same<(typeof created)['config']['secret'], string> = true
    const named: Same<typeof created, CreatedSubscription> = true
    assert.ok(exact && named)
    // No `!` and no check for undefined: the type says it is there, and it is.
    const secret: string = created.config.secret
    assert.match(secret, /^whsec_/)
    // A created subscription is a subscription, to code that takes one.
    const plain: Subscription = created
    assert.equal(plain.id, created.id)

    const read = await t.hooks.subscriptions.get(created.id)
    // @ts-expect-error the secret is not part of a subscription read back
    const hidden: unknown = read.config.secret
    assert.equal(hidden, undefined)
    assert.deepEqual(Object.keys(read.config).sort(), ['contentType', 'url'])
  })

  it('rotateSecret answers the new secret and when the old one stops signing', async () => {
    const created = await subscribe('rotated')
    const rotated = await t.hooks.subscriptions.rotateSecret(created.id)
    const exact: Same<typeof rotated, RotatedSecret> = true
    const until: Same<RotatedSecret['previousExpiresAt'], string | null> = true
    assert.ok(exact && until)
    assert.notEqual(rotated.secret, created.config.secret)
    assert.equal(rotated.previousExpiresAt, new Date(t.clock.now + 24 * 3_600_000).toISOString())
  })
})
