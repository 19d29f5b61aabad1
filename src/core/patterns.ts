/**
 * Event names and the patterns subscriptions list. A pattern is an event name, or an event name
 * prefix followed by `*`, which stands for one or more trailing segments: `order.*` matches
 * `order.created` and `order.item.added` but not `order`; `*` matches every event.
 */

const segment = '[A-Za-z0-9_-]+'
const eventNameRe = new RegExp(`^${segment}(\\.${segment})*$`)
const patternRe = new RegExp(`^(\\*|${segment}(\\.${segment})*(\\.\\*)?)$`)

/** What `isEventPattern` accepts, as regular expression source for JSON Schemas (length apart). */
export const eventPatternSource = patternRe.source

/** The longest event name or pattern allowed. */
export const maxEventNameLength = 100

/** Whether `name` is a valid event name (`order.created`). */
export function isEventName(name: string): boolean {
  return name.length <= maxEventNameLength && eventNameRe.test(name)
}

/** Whether `pattern` is a valid event name or pattern (`order.*`, `*`). */
export function isEventPattern(pattern: string): boolean {
  return pattern.length <= maxEventNameLength && patternRe.test(pattern)
}

/**
 * Every pattern that matches `eventName`, most specific first: for `a.b.c` that is `a.b.c`,
 * `a.b.*`, `a.*` and `*`. Stores look these up in an index, so matching never scans every
 * subscription.
 */
export function candidatePatterns(eventName: string): string[] {
  const out = [eventName]
  let end = eventName.lastIndexOf('.')
  while (end > 0) {
    out.push(`${eventName.slice(0, end)}.*`)
    end = eventName.lastIndexOf('.', end - 1)
  }
  out.push('*')
  return out
}

/** Whether `pattern` matches the event name `eventName`. */
export function patternMatches(pattern: string, eventName: string): boolean {
  if (pattern === '*') return true
  if (!pattern.endsWith('.*')) return pattern === eventName
  const prefix = pattern.slice(0, -1) // keeps the dot: 'order.'
  return eventName.length > prefix.length && eventName.startsWith(prefix)
}

/** Whether any of `patterns` matches `eventName`. */
export function anyPatternMatches(patterns: readonly string[], eventName: string): boolean {
  return patterns.some((pattern) => patternMatches(pattern, eventName))
}

/** Whether some event name matches both patterns (the duplicate-subscription rule). */
export function patternsOverlap(a: string, b: string): boolean {
  const aWild = a === '*' || a.endsWith('.*')
  const bWild = b === '*' || b.endsWith('.*')
  if (!aWild && !bWild) return a === b
  if (aWild && !bWild) return patternMatches(a, b)
  if (!aWild && bWild) return patternMatches(b, a)
  // Both wildcards: one prefix contains the other, since `x.*` and `x.y.*` share `x.y.z`.
  const pa = a === '*' ? '' : a.slice(0, -1)
  const pb = b === '*' ? '' : b.slice(0, -1)
  return pa.startsWith(pb) || pb.startsWith(pa)
}

/** The first pair of overlapping patterns between two lists, or undefined. */
export function findOverlap(
  a: readonly string[],
  b: readonly string[],
): [string, string] | undefined {
  for (const x of a) {
    for (const y of b) if (patternsOverlap(x, y)) return [x, y]
  }
  return undefined
}
