import { Ajv, type SchemaValidateFunction } from 'ajv'
import { ValidationError } from './errors.ts'
import { linearRegExp } from './linear-regexp.ts'

/** The most a tenant's JSON Schema may be, as JSON text: 64 KiB. */
export const maxSchemaBytes = 65_536
/** The deepest a schema may nest objects and arrays. */
export const maxSchemaDepth = 32
/**
 * The most schema nodes a schema may stand for once every `$ref` is written out in place: the
 * work of checking one value grows with it, whatever the schema's own size.
 */
export const maxExpandedNodes = 10_000

/**
 * An Ajv for schemas that tenants write, where checking any data takes time linear in the data:
 * `pattern` and `patternProperties` run on RE2 (`linearRegExp`), and `uniqueItems` compares
 * items by a canonical form in one pass (Ajv's own compares every pair of untyped items: 600 ms
 * for 20,000 numbers, a minute for a 1 MiB array). `checkSchemaBounds` bounds the rest.
 */
export function boundedSchemaAjv(): Ajv {
  // `addUsedSchema: false`: a schema with an `$id` can be compiled again after it changes.
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    addUsedSchema: false,
    code: { regExp: linearRegExp },
  })
  ajv.removeKeyword('uniqueItems')
  ajv.addKeyword({
    keyword: 'uniqueItems',
    type: 'array',
    schemaType: 'boolean',
    errors: true,
    validate: uniqueItems,
  })
  return ajv
}

const uniqueItems: SchemaValidateFunction = (schema: boolean, data: unknown[]) => {
  uniqueItems.errors = []
  if (!schema) return true
  // Scalars are their own keys (a Map tells 1 from '1'); objects and arrays go by canonical text.
  const seen = new Map<unknown, number>()
  const seenText = new Map<string, number>()
  for (let i = 0; i < data.length; i++) {
    const item = data[i]
    const scalar = item === null || typeof item !== 'object'
    const map: Map<unknown, number> = scalar ? seen : seenText
    const key = scalar ? item : canonical(item)
    const j = map.get(key)
    if (j !== undefined) {
      uniqueItems.errors = [
        {
          keyword: 'uniqueItems',
          message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
          params: { i: j, j: i },
        },
      ]
      return false
    }
    map.set(key, i)
  }
  return true
}

/** One text per JSON value, equal for values JSON Schema calls equal (key order aside). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>
    const keys = Object.keys(object).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Refuses, with a `ValidationError` on `schema`, a schema whose checking time cannot be bounded:
 * over 64 KiB, nested deeper than 32, a `$ref` that is not local (`#` or `#/…`) or that refers
 * back to itself (recursion: with `anyOf`, its cost can double with every level of the data), an
 * `$id` below the root (it would move what `#` means), or over 10,000 nodes once every `$ref` is
 * written out in place.
 */
export function checkSchemaBounds(schema: Record<string, unknown>): void {
  const bytes = Buffer.byteLength(JSON.stringify(schema))
  if (bytes > maxSchemaBytes) {
    throw new ValidationError('schema', `is ${bytes} bytes; at most ${maxSchemaBytes} are allowed`)
  }
  const expanded = new Map<string, number>()
  const size = (node: unknown, path: string, depth: number, refs: string[]): number => {
    if (node === null || typeof node !== 'object') return 0
    if (depth > maxSchemaDepth) {
      throw new ValidationError('schema', `nests deeper than ${maxSchemaDepth} levels at ${path}`)
    }
    let count = 1
    const entries = Array.isArray(node)
      ? node.map((value, i) => [String(i), value] as const)
      : Object.entries(node)
    for (const [key, value] of entries) {
      const at = `${path}/${key}`
      if (!Array.isArray(node) && key === '$id' && depth > 0) {
        throw new ValidationError('schema', `has an $id below its root, at ${path}`)
      }
      if (!Array.isArray(node) && key === '$ref' && typeof value === 'string') {
        count += refSize(value, at, refs)
      } else {
        count += size(value, at, depth + 1, refs)
      }
      if (count > maxExpandedNodes) {
        throw new ValidationError(
          'schema',
          `stands for over ${maxExpandedNodes} nodes once its $refs are written out`,
        )
      }
    }
    return count
  }
  const refSize = (ref: string, at: string, refs: string[]): number => {
    if (ref !== '#' && !ref.startsWith('#/')) {
      throw new ValidationError('schema', `$ref ${JSON.stringify(ref)} at ${at} is not local (#/…)`)
    }
    if (refs.includes(ref)) {
      throw new ValidationError(
        'schema',
        `$ref ${JSON.stringify(ref)} at ${at} refers back to itself; recursive schemas are not supported`,
      )
    }
    const known = expanded.get(ref)
    if (known !== undefined) return known
    const target = resolvePointer(schema, ref)
    // Left to Ajv, which names the missing target.
    if (target === undefined) return 0
    const count = size(target, ref, 1, [...refs, ref])
    expanded.set(ref, count)
    return count
  }
  size(schema, '#', 0, [])
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root
  let node = root
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}
