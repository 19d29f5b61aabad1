import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  percentile,
  subscriptionStats,
  summarizeBySubscription,
} from '../../src/core/attempt-stats.ts'
import type { AttemptTiming } from '../../src/core/types.ts'

const T0 = Date.UTC(2026, 0, 1)
const hour = 3_600_000

const timing = fc.record({
  subscriptionId: fc.constantFrom('sub_a', 'sub_b'),
  startedAt: fc.integer({ min: T0, max: T0 + 24 * hour - 1 }),
  durationMs: fc.integer({ min: 0, max: 30_000 }),
  statusCode: fc.option(fc.constantFrom(200, 204, 302, 410, 500), { nil: null }),
}) satisfies fc.Arbitrary<AttemptTiming>

describe('attempt statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.equal(percentile(values, 0.5), 50)
    assert.equal(percentile(values, 0.95), 95)
    assert.equal(percentile(values, 0.99), 99)
    assert.equal(percentile([7], 0.99), 7)
    assert.equal(percentile([], 0.5), 0)
  })

  it('accounts for every attempt once, in order, with ordered percentiles', () => {
    fc.assert(
      fc.property(fc.array(timing, { maxLength: 200 }), (timings) => {
        const window = { since: T0, until: T0 + 24 * hour, truncated: false }
        const stats = subscriptionStats('sub_a', timings, window)
        const { totals } = stats
        assert.equal(totals.attempts, timings.length)
        assert.equal(totals.succeeded + totals.failed, totals.attempts)
        const ok = timings.filter(
          (t) => t.statusCode !== null && t.statusCode < 300 && t.statusCode >= 200,
        )
        assert.equal(totals.succeeded, ok.length)
        assert.equal(
          stats.perMinute.reduce((n, m) => n + m.succeeded + m.failed, 0),
          timings.length,
        )
        assert.equal(
          stats.latencyPerHour.reduce((n, h) => n + h.attempts, 0),
          timings.length,
        )
        const minutes = stats.perMinute.map((m) => m.minute)
        assert.deepEqual(minutes, [...minutes].sort())
        for (const p of [stats.latency, ...stats.latencyPerHour]) {
          if (p === null) continue
          assert.ok(p.p50 <= p.p95 && p.p95 <= p.p99)
        }
        if (timings.length === 0) {
          assert.equal(stats.latency, null)
          assert.equal(totals.successRate, null)
        } else {
          const max = Math.max(...timings.map((t) => t.durationMs))
          assert.ok(stats.latency!.p99 <= max)
          assert.equal(
            stats.lastAttemptAt,
            new Date(Math.max(...timings.map((t) => t.startedAt))).toISOString(),
          )
        }
      }),
    )
  })

  it('summarizes per subscription with the latest attempt’s status', () => {
    const timings: AttemptTiming[] = [
      { subscriptionId: 'sub_b', startedAt: T0 + 5, durationMs: 3, statusCode: 500 },
      { subscriptionId: 'sub_a', startedAt: T0 + 9, durationMs: 1, statusCode: 200 },
      { subscriptionId: 'sub_b', startedAt: T0 + 7, durationMs: 2, statusCode: 200 },
      { subscriptionId: 'sub_a', startedAt: T0 + 1, durationMs: 4, statusCode: null },
    ]
    assert.deepEqual(summarizeBySubscription(timings), [
      {
        subscriptionId: 'sub_a',
        attempts: 2,
        succeeded: 1,
        failed: 1,
        successRate: 0.5,
        lastAttemptAt: new Date(T0 + 9).toISOString(),
        lastStatusCode: 200,
      },
      {
        subscriptionId: 'sub_b',
        attempts: 2,
        succeeded: 1,
        failed: 1,
        successRate: 0.5,
        lastAttemptAt: new Date(T0 + 7).toISOString(),
        lastStatusCode: 200,
      },
    ])
  })
})
