/**
 * PostgreSQL text cannot hold U+0000, which a receiver's response body may contain: it becomes
 * U+FFFD, so one odd answer cannot fail the batch of attempts recorded with it.
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null ? null : value.replaceAll('\u0000', '\uFFFD')) as T
}

// Characters an array element may hold unquoted, as far as this needs: ids, tenants, tokens.
const bareElement = /^[A-Za-z0-9_.:-]+$/

/**
 * `values` as a PostgreSQL array literal when every one is a number, null, or a plain token (ids,
 * tenants, lease tokens, statuses), which need no quoting: a join, where `pg` would quote and
 * escape each element in JavaScript. Anything else goes back as the array, for `pg` to encode.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string | unknown[] {
  let out = '{'
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (i > 0) out += ','
    if (value === null) out += 'NULL'
    else if (typeof value === 'number' && Number.isFinite(value)) out += value
    else if (typeof value === 'string' && bareElement.test(value) && !isNullWord(value)) {
      out += value
    } else return values as unknown[]
  }
  return `${out}}`
}

/** Whether an unquoted element would read as NULL: the word in any case (a tenant may be `null`). */
function isNullWord(value: string): boolean {
  return value.length === 4 && value.toUpperCase() === 'NULL'
}
