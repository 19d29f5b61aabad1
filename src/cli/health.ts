import type { Subscription } from '../core/types.ts'
import { plural } from './output.ts'

/** `4d 21h`, `3h 5m`, `42s`: a span in its two largest units. */
export function formatSpan(ms: number): string {
  const parts: string[] = []
  let rest = Math.max(0, Math.round(ms / 1_000))
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
    if (parts.length === 2) break
  }
  return parts.join(' ')
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
