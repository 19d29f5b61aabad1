import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { iso, ms } from '../../src/core/time.ts'

// Between 1970 and 9999: the years toISOString writes with four digits.
const epochMs = fc.integer({ min: 0, max: 253_402_300_799_999 })

describe('time conversions', () => {
  it('answer as Date does, whatever the order of repeated and new values', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(epochMs, fc.constant(1_700_000_000_000))), (values) => {
        for (const value of values) {
          const text = iso(value)
          assert.equal(text, new Date(value).toISOString())
          assert.equal(ms(text), value)
        }
      }),
    )
  })

  it('refuses text that is not a time, even right after a good one', () => {
    assert.equal(ms('2026-11-24T03:00:00.000Z'), Date.UTC(2026, 10, 24, 3))
    assert.throws(() => ms('yesterday'), { name: 'TypeError', message: /not an ISO 8601 time/ })
    assert.throws(() => ms('yesterday'), TypeError)
    assert.equal(ms('2026-11-24T03:00:00.000Z'), Date.UTC(2026, 10, 24, 3))
  })
})
