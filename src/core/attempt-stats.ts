import { isSuccess } from './attempt-outcome.ts'
import type { AttemptTiming } from './types.ts'

/** Latency percentiles in milliseconds. */
export interface Percentiles {
  p50: number
  p95: number
  p99: number
}

/** A subscription's attempts over a window: what the dashboard's charts are drawn from. */
export interface SubscriptionStats {
  subscriptionId: string
  /** The window, ISO 8601. */
  since: string
  until: string
  totals: { attempts: number; succeeded: number; failed: number; successRate: number | null }
  lastAttemptAt: string | null
  /** Attempts per minute by outcome, oldest first; minutes without attempts are left out. */
  perMinute: { minute: string; succeeded: number; failed: number }[]
  /** Over the whole window; null without attempts. */
  latency: Percentiles | null
  /** Per hour, oldest first; hours without attempts are left out. */
  latencyPerHour: ({ hour: string; attempts: number } & Percentiles)[]
  /** True when the window held more attempts than were read: the oldest are left out. */
  truncated: boolean
}

/** One subscription's attempts over a window, in a line. */
export interface SubscriptionSummary {
  subscriptionId: string
  attempts: number
  succeeded: number
  failed: number
  /** 0–1; null without attempts. */
  successRate: number | null
  lastAttemptAt: string | null
  lastStatusCode: number | null
}

const minute = 60_000
const hour = 60 * minute

/** The `p` quantile (0–1) of ascending `sorted` values, nearest rank; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil(p * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!
}

function percentiles(durations: number[]): Percentiles {
  const sorted = durations.sort((a, b) => a - b)
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  }
}

function rate(succeeded: number, attempts: number): number | null {
  return attempts === 0 ? null : succeeded / attempts
}

/**
 * Folds one subscription's attempts (any order) into per-minute counts and hourly latency
 * percentiles over `[since, until)`. `truncated` is passed through from the read.
 */
export function subscriptionStats(
  subscriptionId: string,
  timings: readonly AttemptTiming[],
  window: { since: number; until: number; truncated: boolean },
): SubscriptionStats {
  const minutes = new Map<number, { succeeded: number; failed: number }>()
  const hours = new Map<number, number[]>()
  const all: number[] = []
  let succeeded = 0
  let last: number | null = null
  for (const t of timings) {
    const ok = isSuccess(t.statusCode)
    if (ok) succeeded++
    const m = t.startedAt - (t.startedAt % minute)
    const counts = minutes.get(m) ?? { succeeded: 0, failed: 0 }
    if (ok) counts.succeeded++
    else counts.failed++
    minutes.set(m, counts)
    const h = t.startedAt - (t.startedAt % hour)
    const durations = hours.get(h) ?? []
    durations.push(t.durationMs)
    hours.set(h, durations)
    all.push(t.durationMs)
    if (last === null || t.startedAt > last) last = t.startedAt
  }
  const byTime = <T>(map: Map<number, T>) => [...map].sort(([a], [b]) => a - b)
  return {
    subscriptionId,
    since: new Date(window.since).toISOString(),
    until: new Date(window.until).toISOString(),
    totals: {
      attempts: timings.length,
      succeeded,
      failed: timings.length - succeeded,
      successRate: rate(succeeded, timings.length),
    },
    lastAttemptAt: last === null ? null : new Date(last).toISOString(),
    perMinute: byTime(minutes).map(([m, counts]) => ({
      minute: new Date(m).toISOString(),
      ...counts,
    })),
    latency: all.length === 0 ? null : percentiles(all),
    latencyPerHour: byTime(hours).map(([h, durations]) => ({
      hour: new Date(h).toISOString(),
      attempts: durations.length,
      ...percentiles(durations),
    })),
    truncated: window.truncated,
  }
}

/** Folds a tenant's attempts (any order) into one summary per subscription, by subscription id. */
export function summarizeBySubscription(timings: readonly AttemptTiming[]): SubscriptionSummary[] {
  const summaries = new Map<string, SubscriptionSummary & { lastAt: number }>()
  for (const t of timings) {
    let s = summaries.get(t.subscriptionId)
    if (s === undefined) {
      s = {
        subscriptionId: t.subscriptionId,
        attempts: 0,
        succeeded: 0,
        failed: 0,
        successRate: null,
        lastAttemptAt: null,
        lastStatusCode: null,
        lastAt: -Infinity,
      }
      summaries.set(t.subscriptionId, s)
    }
    s.attempts++
    if (isSuccess(t.statusCode)) s.succeeded++
    else s.failed++
    if (t.startedAt > s.lastAt) {
      s.lastAt = t.startedAt
      s.lastStatusCode = t.statusCode
    }
  }
  return [...summaries.values()]
    .sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1))
    .map(({ lastAt, ...s }) => ({
      ...s,
      successRate: rate(s.succeeded, s.attempts),
      lastAttemptAt: new Date(lastAt).toISOString(),
    }))
}
