import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AdaptiveLimit, capacitySignal } from '../../src/delivery/adaptive-limit.ts'

/** Starts `n` attempts and settles each with `signal`, as a busy receiver would see them. */
function round(limit: AdaptiveLimit, n: number, signal: Parameters<AdaptiveLimit['settle']>[1]) {
  const tickets = Array.from({ length: n }, () => limit.start())
  for (const ticket of tickets) limit.settle(ticket, signal, true)
}

describe('adaptive in-flight limit', () => {
  it('starts at the floor and, answering fast while held back, doubles each round to the ceiling', () => {
    const limit = new AdaptiveLimit(4, 20)
    assert.equal(limit.current, 4)
    round(limit, limit.current, 'fast')
    assert.equal(limit.current, 8)
    round(limit, limit.current, 'fast')
    assert.equal(limit.current, 16)
    round(limit, limit.current, 'fast')
    assert.equal(limit.current, 20)
  })

  it('earns nothing from fast answers while the limit is not what holds it back', () => {
    const limit = new AdaptiveLimit(4, 20)
    for (let i = 0; i < 50; i++) limit.settle(limit.start(), 'fast', false)
    assert.equal(limit.current, 4)
  })

  it('halves once per round of overloaded answers, never below the floor', () => {
    const limit = new AdaptiveLimit(4, 32)
    round(limit, 4, 'fast')
    round(limit, 8, 'fast')
    round(limit, 16, 'fast')
    assert.equal(limit.current, 32)
    // All 32 answers of one round say 503: one cut, not 32.
    round(limit, 32, 'overloaded')
    assert.equal(limit.current, 16)
    round(limit, 16, 'overloaded')
    assert.equal(limit.current, 8)
    round(limit, 8, 'overloaded')
    round(limit, 4, 'overloaded')
    assert.equal(limit.current, 4)
  })

  it('goes back to the floor on a timeout, then grows by one per round', () => {
    const limit = new AdaptiveLimit(2, 16)
    round(limit, 2, 'fast')
    round(limit, 4, 'fast')
    round(limit, 8, 'fast')
    assert.equal(limit.current, 16)
    round(limit, 16, 'timeout')
    assert.equal(limit.current, 2)
    // No more slow start after a cut: additive increase, one per limit's worth of fast answers.
    round(limit, 2, 'fast')
    assert.equal(limit.current, 3)
    round(limit, 3, 'fast')
    assert.equal(limit.current, 4)
  })

  it('ignores neutral answers', () => {
    const limit = new AdaptiveLimit(3, 9)
    round(limit, 10, 'neutral')
    assert.equal(limit.current, 3)
  })

  it('reads the signal from the answer', () => {
    const answer = (statusCode: number | null, failure: string | null, durationMs = 5) =>
      capacitySignal({ statusCode, failure, durationMs })
    assert.equal(answer(200, null), 'fast')
    assert.equal(answer(204, null, 999), 'fast')
    assert.equal(answer(200, null, 1_000), 'neutral')
    assert.equal(answer(429, null), 'overloaded')
    assert.equal(answer(500, null), 'overloaded')
    assert.equal(answer(503, null), 'overloaded')
    assert.equal(answer(null, 'network'), 'overloaded')
    assert.equal(answer(null, 'timeout', 15_000), 'timeout')
    assert.equal(answer(404, null), 'neutral')
    assert.equal(answer(410, null), 'neutral')
    assert.equal(answer(301, null), 'neutral')
    assert.equal(answer(null, 'unsafe_url'), 'neutral')
  })
})
