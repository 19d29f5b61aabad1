import { CliError } from './cli-error.ts'

/**
 * A flag holding a whole number from `min` to `max`, or `fallback` when it was not given. Throws
 * a one-line CliError naming the flag.
 *
 * @example
 * wholeNumberFlag('500', '--status', 200, 200, 599) // 500
 */
export function wholeNumberFlag(
  raw: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback
  const text = raw.trim()
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) {
    throw new CliError(`${flag} must be a whole number from ${min} to ${max}, not "${raw}"`)
  }
  return value
}
