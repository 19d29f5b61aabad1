import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { failingFirst, formatHealth, formatSpan } from '../../src/cli/health.ts'
import type { Subscription } from '../../src/core/types.ts'

const hour = 3_600_000

describe('the health column of subs list', () => {
  it('reads a span in its largest unit and the next one down, leaving out a zero', () => {
    assert.equal(formatSpan(0), '0s')
    assert.equal(formatSpan(42_000), '42s')
    assert.equal(formatSpan(3 * hour + 20_000), '3h')
    assert.equal(formatSpan(3 * hour + 5 * 60_000), '3h 5m')
    assert.equal(formatSpan(4 * 24 * hour + 21 * hour + 59_000), '4d 21h')
  })

  it('says how long, how often and when it disables; healthy and disabled as they are', () => {
    const now = Date.parse('2026-12-03T12:00:00Z')
    const failing = {
      health: 'failing',
      consecutiveFailures: 42,
      failingSince: new Date(now - 3 * hour).toISOString(),
      disablesAt: new Date(now + 4 * 24 * hour + 21 * hour).toISOString(),
    } as Subscription
    assert.equal(
      formatHealth(failing, now),
      'failing for 3h · 42 failures in a row · disables in 4d 21h',
    )
    const overdue = { ...failing, disablesAt: new Date(now - 1).toISOString() }
    assert.match(formatHealth(overdue, now), /disables at its next failure$/)
    assert.equal(formatHealth({ health: 'healthy' } as Subscription, now), 'healthy')
    assert.equal(formatHealth({ health: 'disabled' } as Subscription, now), 'disabled')
    const order = failingFirst([{ health: 'healthy' }, failing, { health: 'disabled' }])
    assert.deepEqual(
      order.map((s) => s.health),
      ['failing', 'healthy', 'disabled'],
    )
  })
})
