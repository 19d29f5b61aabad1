/**
 * PostgreSQL text cannot hold U+0000, which a receiver's response body may contain: it becomes
 * U+FFFD, so one odd answer cannot fail the batch of attempts recorded with it.
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null ? null : value.replaceAll('\u0000', '\uFFFD')) as T
}
