import type { Subscription } from '../core/types.ts'
import { plural } from './output.ts'

const spanUnits = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const

/** `4d 21h`, `3h 5m`, `3h`, `42s`: a span in its largest unit, and the next one down unless 0. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1_000))
  const i = spanUnits.findIndex(([, size]) => seconds >= size)
  if (i === -1) return '0s'
  const [unit, size] = spanUnits[i]!
  const first = `${Math.floor(seconds / size)}${unit}`
  const next = spanUnits[i + 1]
  const more = next === undefined ? 0 : Math.floor((seconds % size) / next[1])
  return next === undefined || more === 0 ? first : `${first} ${more}${next[0]}`
}

/**
 * A subscription's health in a line: `healthy`, `disabled`, or
 * `failing for 3h · 42 in a row · disables in 4d 21h`.
 */
export function formatHealth(sub: Subscription, now: number = Date.now()): string {
  if (sub.health !== 'failing') return sub.health
  const parts = ['failing']
  if (sub.failingSince !== null)
    parts[0] += ` for ${formatSpan(now - Date.parse(sub.failingSince))}`
  parts.push(`${plural(sub.consecutiveFailures, 'failure', 'failures')} in a row`)
  if (sub.disablesAt !== null) {
    const left = Date.parse(sub.disablesAt) - now
    parts.push(left > 0 ? `disables in ${formatSpan(left)}` : 'disables at its next failure')
  }
  return parts.join(' · ')
}

/** Failing subscriptions first, then the others in the order given. */
export function failingFirst<T extends Pick<Subscription, 'health'>>(subs: readonly T[]): T[] {
  return [...subs].sort((a, b) => Number(b.health === 'failing') - Number(a.health === 'failing'))
}
