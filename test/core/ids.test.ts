import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newId } from '../../src/core/ids.ts'

describe('ids', () => {
  it('are prefixed and sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, (_, i) =>
      newId('event', 1_700_000_000_000 + Math.floor(i / 100)),
    )
    assert.ok(ids.every((id) => /^evt_[0-9A-HJKMNP-TV-Z]{26}$/.test(id)))
    assert.deepEqual([...ids].sort(), ids)
    assert.equal(new Set(ids).size, ids.length)
    assert.match(newId('subscription'), /^sub_/)
    assert.match(newId('delivery'), /^dlv_/)
    assert.match(newId('attempt'), /^att_/)
    assert.match(newId('key'), /^key_/)
  })
})

describe('id encoding', () => {
  it('encodes the time in the first 10 characters, readable back', () => {
    // Later than every ID made so far: an earlier time would keep the last one, to stay sorted.
    const time = Date.now() + 10 * 86_400_000
    const id = newId('delivery', time + 1_000_000)
    const digits = id.slice(4, 14)
    let decoded = 0
    for (const c of digits) decoded = decoded * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c)
    assert.equal(decoded, time + 1_000_000)
  })
})
