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
