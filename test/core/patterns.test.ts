import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  candidatePatterns,
  isEventName,
  isEventPattern,
  patternMatches,
  patternsOverlap,
} from '../../src/core/patterns.ts'

const segment = fc.stringMatching(/^[a-c]{1,2}$/)
const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'))
const pattern = fc.oneof(
  name,
  fc.constant('*'),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `${s.join('.')}.*`),
)

describe('event names and patterns', () => {
  it('accepts dotted names and trailing wildcards only', () => {
    assert.ok(isEventName('order.created'))
    assert.ok(isEventName('file.download'))
    assert.ok(!isEventName('order.*'))
    assert.ok(!isEventName('order..created'))
    assert.ok(!isEventName('.order'))
    assert.ok(!isEventName('a'.repeat(101)))
    assert.ok(isEventPattern('order.*'))
    assert.ok(isEventPattern('*'))
    assert.ok(!isEventPattern('*.created'))
    assert.ok(!isEventPattern('order.*.x'))
    assert.ok(!isEventPattern('order*'))
  })

  it('matches `*` against one or more trailing segments', () => {
    assert.ok(patternMatches('order.*', 'order.created'))
    assert.ok(patternMatches('order.*', 'order.item.added'))
    assert.ok(!patternMatches('order.*', 'order'))
    assert.ok(!patternMatches('order.*', 'orders.created'))
    assert.ok(patternMatches('*', 'anything.at.all'))
    assert.ok(patternMatches('order.created', 'order.created'))
    assert.ok(!patternMatches('order.created', 'order.created.v2'))
  })

  it('lists the candidate patterns most specific first', () => {
    assert.deepEqual(candidatePatterns('a.b.c'), ['a.b.c', 'a.b.*', 'a.*', '*'])
    assert.deepEqual(candidatePatterns('a'), ['a', '*'])
  })

  it('a pattern matches a name exactly when it is one of its candidates', () => {
    fc.assert(
      fc.property(
        pattern,
        name,
        (p, n) => patternMatches(p, n) === candidatePatterns(n).includes(p),
      ),
    )
  })

  it('two patterns overlap exactly when some name matches both', () => {
    // Overlap is decided syntactically; check it against names built from both patterns.
    fc.assert(
      fc.property(pattern, pattern, fc.array(segment, { maxLength: 2 }), (a, b, tail) => {
        const witnesses = [a, b].flatMap((p) => {
          const base = p === '*' ? [] : p.replace(/\.?\*$/, '').split('.')
          return [[...base, ...tail, 'z'].join('.'), base.join('.')].filter((n) => n !== '')
        })
        const someBoth = witnesses.some((n) => patternMatches(a, n) && patternMatches(b, n))
        if (someBoth) assert.ok(patternsOverlap(a, b), `${a} and ${b} share a name`)
        return patternsOverlap(a, b) === patternsOverlap(b, a)
      }),
    )
    assert.ok(patternsOverlap('order.*', 'order.created'))
    assert.ok(patternsOverlap('*', 'x'))
    assert.ok(patternsOverlap('a.*', 'a.b.*'))
    assert.ok(!patternsOverlap('a.b', 'a.c'))
    assert.ok(!patternsOverlap('a.*', 'a'))
    assert.ok(!patternsOverlap('a.*', 'b.*'))
  })
})
