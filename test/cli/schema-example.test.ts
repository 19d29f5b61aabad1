import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ajv } from 'ajv'
import { exampleFromSchema } from '../../src/cli/schema-example.ts'

// The validator the catalogue uses (src/event-types.ts): what `trigger` makes must pass it.
const ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false, logger: false })

function assertAccepted(schema: Record<string, unknown>, data: unknown): void {
  const validate = ajv.compile(schema)
  assert.ok(validate(data), `${JSON.stringify(data)}: ${ajv.errorsText(validate.errors)}`)
}

const order = {
  type: 'object',
  required: ['id', 'total', 'currency', 'placedAt', 'lines', 'paid', 'note', 'customer'],
  properties: {
    id: { type: 'integer', minimum: 1 },
    total: { type: 'number', exclusiveMinimum: 0 },
    currency: { enum: ['EUR', 'USD'] },
    placedAt: { type: 'string', format: 'date-time' },
    lines: { type: 'array', minItems: 2, items: { $ref: '#/$defs/line' } },
    paid: { type: 'boolean' },
    note: { type: ['null', 'string'], minLength: 8, maxLength: 10 },
    customer: { type: 'object', required: ['email'], properties: { email: { format: 'email' } } },
    coupon: { type: 'string' },
  },
  $defs: {
    line: {
      type: 'object',
      required: ['sku', 'quantity'],
      properties: { sku: { type: 'string', example: 'SKU-1' }, quantity: { default: 1 } },
    },
  },
} as const

describe('exampleFromSchema', () => {
  it('answers the example a schema gives: examples[0], example, default, const, then enum', () => {
    assert.deepEqual(exampleFromSchema({ examples: [{ id: 7 }, { id: 8 }], example: 1 }), { id: 7 })
    assert.equal(exampleFromSchema({ type: 'string', example: 'given', default: 'no' }), 'given')
    assert.equal(exampleFromSchema({ type: 'integer', default: 3 }), 3)
    assert.equal(exampleFromSchema({ const: 'fixed' }), 'fixed')
    assert.equal(exampleFromSchema({ enum: ['first', 'second'] }), 'first')
  })

  it('makes the smallest data of the type: required properties only, minItems, minimums, formats', () => {
    const data = exampleFromSchema(order)
    assert.deepEqual(data, {
      id: 1,
      total: 1,
      currency: 'EUR',
      placedAt: '2026-01-01T12:00:00Z',
      lines: [
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'SKU-1', quantity: 1 },
      ],
      paid: false,
      note: 'stringxx',
      customer: { email: 'user@example.com' },
    })
    assertAccepted(order, data)
  })

  it('follows oneOf and anyOf to their first branch, and merges allOf', () => {
    const schema = {
      allOf: [
        { type: 'object', required: ['a'], properties: { a: { type: 'integer', maximum: -5 } } },
        { type: 'object', required: ['b'], properties: { b: { oneOf: [{ type: 'null' }] } } },
        { required: ['c'], properties: { c: { anyOf: [{ type: 'array' }, { type: 'string' }] } } },
      ],
    }
    const data = exampleFromSchema(schema)
    assert.deepEqual(data, { a: -5, b: null, c: [] })
    assertAccepted(schema, data)
  })

  it('stops on a schema that refers to itself, and says nothing for a schema without a type', () => {
    const tree = {
      type: 'object',
      required: ['child'],
      properties: { child: { $ref: '#' } },
    }
    let depth = 0
    for (let at = exampleFromSchema(tree) as { child: unknown }; at !== null; depth++) {
      at = at.child as { child: unknown }
    }
    assert.ok(depth > 1 && depth < 100, String(depth))
    assert.equal(exampleFromSchema({}), undefined)
    assert.equal(exampleFromSchema({ $ref: 'https://example.com/elsewhere.json' }), undefined)
    assert.equal(exampleFromSchema(true), undefined)
    assert.equal(exampleFromSchema(null), undefined)
  })
})
