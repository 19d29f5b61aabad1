import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { decideOutcome, type OutcomeInput } from '../../src/core/attempt-outcome.ts'
import {
  clampRetryAfter,
  defaultRetrySchedule,
  parseRetryAfter,
  retryDelay,
} from '../../src/core/retry-schedule.ts'

const base: OutcomeInput = {
  result: { statusCode: 500, failure: null, retryAfterMs: null },
  attemptsMade: 1,
  trigger: 'scheduled',
  previousStatus: 'pending',
  schedule: [5_000, 300_000],
  jitter: 0,
  now: 1_000_000,
  random: 0.5,
}

describe('retry schedule', () => {
  it('has 8 attempts over about 27 hours by default', () => {
    assert.equal(defaultRetrySchedule.length + 1, 8)
    const total = defaultRetrySchedule.reduce((a, b) => a + b, 0)
    assert.ok(total > 26 * 3_600_000 && total < 28 * 3_600_000)
  })

  it('spreads each delay within ±jitter and stops after the last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (n, r) => {
          const delay = retryDelay(n, defaultRetrySchedule, 0.2, r)!
          const scheduled = defaultRetrySchedule[n - 1]!
          return delay >= scheduled * 0.8 - 1 && delay <= scheduled * 1.2 + 1
        },
      ),
    )
    assert.equal(retryDelay(8, defaultRetrySchedule, 0.2, 0.5), null)
  })

  it('clamps Retry-After to [1 s, 2 × the scheduled delay]', () => {
    assert.equal(clampRetryAfter(0, 5_000), 1_000)
    assert.equal(clampRetryAfter(60_000, 5_000), 10_000)
    assert.equal(clampRetryAfter(7_000, 5_000), 7_000)
    assert.equal(parseRetryAfter('7', 0), 7_000)
    assert.equal(parseRetryAfter(new Date(20_000).toUTCString(), 0), 20_000)
    assert.equal(parseRetryAfter('soon', 0), null)
    assert.equal(parseRetryAfter(undefined, 0), null)
  })
})

describe('attempt outcome', () => {
  it('succeeds on any 2xx and fails on 3xx', () => {
    for (const status of [200, 201, 204, 299]) {
      assert.equal(
        decideOutcome({ ...base, result: { ...base.result, statusCode: status } }).kind,
        'succeeded',
      )
    }
    assert.equal(
      decideOutcome({ ...base, result: { ...base.result, statusCode: 302 } }).kind,
      'retry',
    )
  })

  it('retries on the schedule, then fails as exhausted', () => {
    assert.deepEqual(decideOutcome(base), { kind: 'retry', at: 1_005_000 })
    assert.deepEqual(decideOutcome({ ...base, attemptsMade: 2 }), { kind: 'retry', at: 1_300_000 })
    assert.deepEqual(decideOutcome({ ...base, attemptsMade: 3 }), {
      kind: 'failed',
      reason: 'exhausted',
    })
  })

  it('fails at once on 410 and on a refused URL', () => {
    assert.deepEqual(decideOutcome({ ...base, result: { ...base.result, statusCode: 410 } }), {
      kind: 'failed',
      reason: 'gone',
    })
    const refused = { statusCode: null, failure: 'unsafe_url' as const, retryAfterMs: null }
    assert.deepEqual(decideOutcome({ ...base, result: refused }), {
      kind: 'failed',
      reason: 'unsafe_url',
    })
  })

  it('honours Retry-After on 429 and 503 only, clamped', () => {
    const wants = (statusCode: number, retryAfterMs: number) =>
      decideOutcome({ ...base, result: { statusCode, failure: null, retryAfterMs } })
    assert.deepEqual(wants(429, 7_000), { kind: 'retry', at: 1_007_000 })
    assert.deepEqual(wants(503, 3_600_000), { kind: 'retry', at: 1_010_000 })
    assert.deepEqual(wants(500, 7_000), { kind: 'retry', at: 1_005_000 })
  })

  it('a failed manual re-send of a finished delivery does not restart its schedule', () => {
    const manual = { ...base, trigger: 'manual' as const, previousStatus: 'failed' as const }
    assert.deepEqual(decideOutcome(manual), { kind: 'failed', reason: 'manual' })
    assert.equal(
      decideOutcome({ ...manual, result: { ...base.result, statusCode: 200 } }).kind,
      'succeeded',
    )
  })
})
