/** A JSON Schema, as far as the example maker reads one. */
type Schema = Record<string, unknown>

/** How deep the example maker follows nested schemas and `$ref`s before it answers null. */
const maxDepth = 32

// Values for the common string formats: ajv checks them when ajv-formats is installed, and a
// person reading the example recognises them.
const formatExamples: Record<string, string> = {
  'date-time': '2026-01-01T12:00:00Z',
  date: '2026-01-01',
  time: '12:00:00Z',
  email: 'user@example.com',
  hostname: 'example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  uuid: '00000000-0000-4000-8000-000000000000',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
}

/**
 * Example data for a JSON Schema: the schema's own `examples[0]`, `example`, `default`, `const`
 * or first `enum` value where it has one (at any depth), else the smallest value of its type —
 * objects with their required properties only, arrays with `minItems` items, numbers at their
 * minimum. `pattern`s are not followed. Undefined when the schema says nothing usable (not an
 * object, or `true`).
 *
 * @example
 * exampleFromSchema({ type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } })
 * // { id: 1 }
 */
export function exampleFromSchema(schema: unknown): unknown {
  return isSchema(schema) ? example(schema, schema, 0) : undefined
}

function example(schema: Schema, root: Schema, depth: number): unknown {
  if (depth > maxDepth) return null
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  for (const given of ['example', 'default', 'const'] as const) {
    if (schema[given] !== undefined) return schema[given]
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const next = (sub: unknown) => (isSchema(sub) ? example(sub, root, depth + 1) : undefined)
  if (typeof schema.$ref === 'string') return next(resolveRef(schema.$ref, root))
  for (const branches of [schema.oneOf, schema.anyOf]) {
    if (Array.isArray(branches) && branches.length > 0) return next(branches[0])
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map(next).filter((part) => part !== undefined)
    if (parts.every(isSchema)) return Object.assign({}, ...parts) as Schema
    return parts[0]
  }
  switch (typeOf(schema)) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {}
      const required = Array.isArray(schema.required) ? schema.required : []
      const data: Record<string, unknown> = {}
      for (const name of required) {
        if (typeof name === 'string') data[name] = next(properties[name]) ?? null
      }
      return data
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0
      return Array.from({ length: count }, () => next(schema.items) ?? null)
    }
    case 'string':
      return stringExample(schema)
    case 'integer':
      return Math.ceil(numberExample(schema))
    case 'number':
      return numberExample(schema)
    case 'boolean':
      return false
    case 'null':
      return null
    default:
      return undefined
  }
}

/** The type the schema names (the first that is not `null` of a list), or implies. */
function typeOf(schema: Schema): string | undefined {
  const { type } = schema
  if (typeof type === 'string') return type
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? type[0]
  if (schema.properties !== undefined || schema.required !== undefined) return 'object'
  if (schema.items !== undefined || schema.minItems !== undefined) return 'array'
  const implies = (keywords: string[]) => keywords.some((k) => schema[k] !== undefined)
  if (implies(['format', 'minLength', 'maxLength', 'pattern'])) return 'string'
  if (implies(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'])) return 'number'
  return undefined
}

function stringExample(schema: Schema): string {
  const format = typeof schema.format === 'string' ? formatExamples[schema.format] : undefined
  if (format !== undefined) return format
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity
  return 'string'.padEnd(min, 'x').slice(0, max)
}

function numberExample(schema: Schema): number {
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined)
  const exclusiveMin = number(schema.exclusiveMinimum)
  const low = number(schema.minimum) ?? (exclusiveMin === undefined ? 0 : exclusiveMin + 1)
  const high = number(schema.maximum) ?? Infinity
  return Math.min(low, high)
}

/** A local `$ref` (`#/$defs/x`, `#/definitions/x`); undefined for any other. */
function resolveRef(ref: string, root: Schema): unknown {
  if (!ref.startsWith('#')) return undefined
  let at: unknown = root
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    at = isSchema(at) ? at[key] : undefined
  }
  return at
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
