import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ValidationError } from '../../src/index.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

/** Defines `type` with `schema`, then publishes `data`: undefined when it passes, else the error. */
async function check(
  type: string,
  schema: Record<string, unknown>,
  data: unknown,
): Promise<ValidationError | undefined> {
  await t.hooks.eventTypes.define({ name: type, schema })
  try {
    await t.hooks.publish({ type, data })
    return undefined
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err))
    assert.equal(err.code, 'schema_mismatch')
    return err
  }
}

/** Asserts that defining `schema` is refused on `schema`, with a message matching `message`. */
async function refused(schema: Record<string, unknown>, message: RegExp): Promise<void> {
  await assert.rejects(t.hooks.eventTypes.define({ name: 'refused', schema }), (err: unknown) => {
    assert.ok(err instanceof ValidationError, String(err))
    assert.equal(err.field, 'schema')
    assert.match(err.message, message)
    return true
  })
  assert.equal(await t.hooks.eventTypes.get('refused').catch(() => null), null)
}

const text = (pattern: string) => ({
  type: 'object',
  properties: { name: { type: 'string', pattern } },
})

describe('event-type schemas are checked in time linear in the data', () => {
  it("runs a backtracking pattern on a linear engine: ^(a+)+$ against 50,000 a's and a !", async () => {
    // On JavaScript's engine this never ends (27 a's took 5 s, and each one more doubles it),
    // and the whole process, every tenant, waits for it.
    const err = await check('redos.pattern', text('^(a+)+$'), { name: `${'a'.repeat(50_000)}!` })
    assert.equal(err?.field, 'data.name')
    assert.equal(await check('redos.pattern', text('^(a+)+$'), { name: 'aaaa' }), undefined)
  })

  it('keeps the JavaScript pattern syntax people write', async () => {
    const cases: [pattern: string, passes: string, fails: string][] = [
      ['^\\d{3}-[A-Z]+$', '123-ABC', '12-ABC'],
      ['^(?<year>\\d{4})-\\d{2}$', '2026-12', '26-12'],
      ['^\\p{L}+$', 'Zoë', 'Zoë1'],
      ['^[^/]+/\\w+$', 'orders/created', 'orders'],
      ['\\u00e9', 'café', 'cafe'],
    ]
    for (const [pattern, passes, fails] of cases) {
      assert.equal(await check('syntax', text(pattern), { name: passes }), undefined, pattern)
      assert.ok(await check('syntax', text(pattern), { name: fails }), pattern)
    }
    const keys = { type: 'object', patternProperties: { '^x-': { type: 'number' } } }
    assert.equal(await check('pattern.props', keys, { 'x-a': 1, b: 'c' }), undefined)
    assert.ok(await check('pattern.props', keys, { 'x-a': 'one' }))
  })

  it('refuses, when it is defined, a pattern that needs backtracking, naming it', async () => {
    await refused(text('^(a)\\1$'), /pattern "\^\(a\)\\\\1\$" is not supported.*linear-time/)
    await refused(text('^a(?=b)'), /pattern "\^a\(\?=b\)" is not supported/)
  })

  it('finds duplicate items in one pass, key order aside', async () => {
    const unique = { type: 'array', uniqueItems: true }
    // Ajv's own pairwise check takes about a minute for an array this long.
    const many = Array.from({ length: 150_000 }, (_, i) => i)
    assert.equal(await check('unique', unique, many), undefined)
    const twice = await check('unique', unique, [...many, 149_999])
    assert.match(twice?.message ?? '', /duplicate items \(items ## 149999 and 150000/)
    const objects = [
      { a: 1, b: [2, { c: 3 }] },
      { b: [2, { c: 3 }], a: 1 },
    ]
    assert.ok(await check('unique', unique, objects))
    assert.equal(await check('unique', unique, [{ a: 1 }, { a: '1' }, 1, '1', [1]]), undefined)
  })

  it('refuses a schema whose checking time cannot be bounded', async () => {
    await refused(
      { $defs: { node: { anyOf: [{ type: 'string' }, { items: { $ref: '#/$defs/node' } }] } } },
      /refers back to itself/,
    )
    await refused({ anyOf: [{ type: 'string' }, { items: { $ref: '#' } }] }, /refers back/)
    await refused({ $ref: 'https://example.com/schema.json' }, /is not local/)
    await refused({ $defs: { a: { $id: 'a', type: 'string' } } }, /\$id below its root/)
    // Each level refers to the next twice: 2^20 nodes written out, from 20 definitions.
    const $defs: Record<string, unknown> = { d20: { type: 'string' } }
    for (let i = 0; i < 20; i++) {
      $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] }
    }
    await refused({ $defs, $ref: '#/$defs/d0' }, /over 10000 nodes/)
    let deep: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < 40; i++) deep = { items: deep }
    await refused(deep, /nests deeper than 32/)
    const big = { enum: Array.from({ length: 10_000 }, (_, i) => `value-${i}`) }
    await refused(big, /bytes; at most 65536/)
    // Shared definitions that stay small are fine.
    const shared = { $defs: { id: { type: 'integer' } }, properties: { a: { $ref: '#/$defs/id' } } }
    assert.equal(await check('shared', shared, { a: 1 }), undefined)
  })
})
