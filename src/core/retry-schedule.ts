/**
 * The retry policy as data plus pure functions: time and randomness come in as arguments.
 */

const second = 1_000
const minute = 60 * second
const hour = 60 * minute

/**
 * Milliseconds before each retry after the first, immediate attempt: 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h — 8 attempts over about 27 hours.
 */
export const defaultRetrySchedule: readonly number[] = [
  5 * second,
  5 * minute,
  30 * minute,
  2 * hour,
  5 * hour,
  10 * hour,
  10 * hour,
]

/** The default jitter: each delay is spread by ±20%. */
export const defaultJitter = 0.2

/** The longest delay a schedule may hold: 7 days. */
export const maxRetryDelayMs = 7 * 24 * hour

/**
 * The delay before the next attempt after `attemptsMade` attempts (the first attempt is number 1),
 * or null when the schedule is exhausted. `random` is a number in [0, 1).
 *
 * @example retryDelay(1, defaultRetrySchedule, 0.2, Math.random()) // ≈ 5,000 ± 1,000
 */
export function retryDelay(
  attemptsMade: number,
  schedule: readonly number[],
  jitter: number,
  random: number,
): number | null {
  const base = schedule[attemptsMade - 1]
  if (base === undefined) return null
  return Math.round(base * (1 + jitter * (2 * random - 1)))
}

/**
 * A receiver's `Retry-After` wish, clamped to [1 s, 2 × the scheduled delay], so a receiver can
 * slow retries down but never stall them for days nor speed them up into a storm.
 */
export function clampRetryAfter(retryAfterMs: number, scheduledMs: number): number {
  return Math.min(Math.max(retryAfterMs, second), Math.max(2 * scheduledMs, second))
}

/**
 * Parses a `Retry-After` header (seconds, or an HTTP date) into milliseconds from `now`, or null
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined || value.trim() === '') return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * second
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}
