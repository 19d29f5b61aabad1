import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KeyedLock } from '../../src/keyed-lock.ts'
import { useEngine } from '../support/engine.ts'

describe('KeyedLock', () => {
  it('runs calls with one key in order, one at a time, past failures', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const step = (name: string, ms: number, fail = false) =>
      lock.run('k', async () => {
        log.push(`start ${name}`)
        await new Promise((resolve) => setTimeout(resolve, ms))
        log.push(`end ${name}`)
        if (fail) throw new Error(name)
        return name
      })
    const results = await Promise.allSettled([step('a', 20), step('b', 1, true), step('c', 1)])
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    )
  })
})

describe('concurrent changes to one subscription', () => {
  const t = useEngine()

  it('keeps both a URL change and a secret rotation made at once', async () => {
    const sub = await t.hooks.subscriptions.create({
      name: 'racy',
      events: ['a.b'],
      config: { url: `${t.receiver.url}/one` },
    })
    const [, rotated, paused] = await Promise.all([
      t.hooks.subscriptions.update(sub.id, { config: { url: `${t.receiver.url}/two` } }),
      t.hooks.subscriptions.rotateSecret(sub.id),
      t.hooks.subscriptions.update(sub.id, { state: 'paused' }),
    ])
    const stored = await t.hooks.store.getSubscription(sub.id)
    assert.equal(stored?.config.url, `${t.receiver.url}/two`)
    assert.equal(stored?.secrets[0]?.secret, rotated.secret)
    assert.equal(stored?.state, 'paused')
    assert.equal(paused.state, 'paused')
  })
})
