import { pino } from 'pino'
import { ValidationError } from './core/errors.ts'
import type { Logger } from './core/logger.ts'
import { defaultJitter, defaultRetrySchedule } from './core/retry-schedule.ts'
import { numberIn, retryScheduleOf } from './core/validate.ts'
import type { Resolver } from './delivery/ssrf-guard.ts'
import type { Store } from './store/store.ts'

const day = 24 * 3_600_000

/** Options of `createHookrelay`. Every field has a default. */
export interface HookrelayOptions {
  /**
   * `':memory:'`, a SQLite file path, or a `postgres://` (`postgresql://`) URL, whose `schema`
   * parameter may name the schema and `pool` the most connections (default 10). Default is
   * `hookrelay.db`. Ignored when `store` is given.
   */
  database?: string
  /** Any `Store` implementation, in place of `database`. */
  store?: Store
  /**
   * Which private networks deliveries may reach: `false` (default) only public addresses, `true`
   * everything, or a CIDR allow-list such as `['127.0.0.0/8']`.
   */
  allowPrivateNetworks?: boolean | string[]
  /** Milliseconds before each retry; its length is the number of retries. Default is 5 s, 5 min,
   * 30 min, 2 h, 5 h, 10 h, 10 h. */
  retrySchedule?: number[]
  /** Spread of each retry delay, 0–1. Default is 0.2 (±20%). */
  jitter?: number
  /** Per-attempt timeout, 1–30 s. Default is 15,000 ms. */
  timeoutMs?: number
  /** Attempts in flight per process at most. Default is 64. */
  concurrency?: number
  /**
   * Attempts in flight per subscription to start with, and the least it ever gets. A receiver that
   * answers 2xx fast earns more, up to `maxSubscriptionConcurrency`; timeouts, 429 and 5xx take it
   * back down. Default is 10.
   */
  subscriptionConcurrency?: number
  /** The most attempts in flight one subscription can earn. Default is `concurrency` (64). */
  maxSubscriptionConcurrency?: number
  /** Deliveries claimed per batch. Default is 1,024. */
  batchSize?: number
  /** How long a claimed delivery stays with its worker before others may take it. Default is 30 s. */
  leaseMs?: number
  /** How often an idle worker looks for due deliveries. Default is 1,000 ms. */
  pollIntervalMs?: number
  /** How long events, deliveries and attempts are kept. Default is 30 days; 0 keeps them forever. */
  retentionMs?: number
  /** When a failing subscription is disabled: after `failures` failed attempts in a row that span
   * at least `periodMs`. Default is 9 failures over 5 days. */
  disableAfter?: { failures?: number; periodMs?: number }
  /** Run the delivery worker in this process. Default is true. */
  worker?: boolean
  /** A pino logger or anything shaped like one. Default is pino at `info` (`HOOKRELAY_LOG_LEVEL`). */
  logger?: Logger
  /** Sent as `user-agent`. Default is `Hookrelay/<version>`. */
  userAgent?: string
  /** Resolves hostnames for the SSRF guard; tests inject one. Default is the system resolver. */
  resolve?: Resolver
  /** The clock, in epoch ms; tests inject one. Default is `Date.now`. */
  now?: () => number
  /** Randomness in [0, 1) for jitter; tests inject one. Default is `Math.random`. */
  random?: () => number
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  database: string
  store: Store | undefined
  allowPrivateNetworks: boolean | string[]
  retrySchedule: readonly number[]
  jitter: number
  timeoutMs: number
  concurrency: number
  subscriptionConcurrency: number
  maxSubscriptionConcurrency: number
  batchSize: number
  leaseMs: number
  pollIntervalMs: number
  retentionMs: number
  disableAfter: { failures: number; periodMs: number }
  worker: boolean
  logger: Logger
  userAgent: string
  resolve: Resolver | undefined
  now: () => number
  random: () => number
}

/** Fills in defaults and checks ranges; throws `ValidationError` naming the option. */
export function resolveOptions(options: HookrelayOptions = {}): ResolvedOptions {
  const int = (
    value: number | undefined,
    name: string,
    fallback: number,
    min: number,
    max: number,
  ) => (value === undefined ? fallback : Math.floor(numberIn(value, name, min, max)))
  const schedule =
    options.retrySchedule === undefined
      ? defaultRetrySchedule
      : retryScheduleOf(options.retrySchedule)
  const allow = options.allowPrivateNetworks ?? false
  if (typeof allow !== 'boolean' && !Array.isArray(allow)) {
    throw new ValidationError('allowPrivateNetworks', 'must be true, false or a list of CIDRs')
  }
  const timeoutMs = int(options.timeoutMs, 'timeoutMs', 15_000, 1_000, 30_000)
  const leaseMs = int(options.leaseMs, 'leaseMs', 30_000, 1_000, day)
  // A worker only starts an attempt that can finish inside its lease; a shorter lease sends nothing.
  if (leaseMs < 2 * timeoutMs) {
    throw new ValidationError('leaseMs', `must be at least twice timeoutMs (${2 * timeoutMs} ms)`)
  }
  const concurrency = int(options.concurrency, 'concurrency', 64, 1, 10_000)
  const subscriptionConcurrency = int(
    options.subscriptionConcurrency,
    'subscriptionConcurrency',
    10,
    1,
    10_000,
  )
  const maxSubscriptionConcurrency = int(
    options.maxSubscriptionConcurrency,
    'maxSubscriptionConcurrency',
    Math.max(concurrency, subscriptionConcurrency),
    1,
    10_000,
  )
  if (maxSubscriptionConcurrency < subscriptionConcurrency) {
    throw new ValidationError(
      'maxSubscriptionConcurrency',
      `must be at least subscriptionConcurrency (${subscriptionConcurrency})`,
    )
  }
  return {
    database: options.database ?? 'hookrelay.db',
    store: options.store,
    allowPrivateNetworks: allow,
    retrySchedule: schedule,
    jitter: options.jitter === undefined ? defaultJitter : numberIn(options.jitter, 'jitter', 0, 1),
    timeoutMs,
    concurrency,
    subscriptionConcurrency,
    maxSubscriptionConcurrency,
    batchSize: int(options.batchSize, 'batchSize', 1_024, 1, 10_000),
    leaseMs,
    pollIntervalMs: int(options.pollIntervalMs, 'pollIntervalMs', 1_000, 10, 60_000),
    retentionMs: int(options.retentionMs, 'retentionMs', 30 * day, 0, 3650 * day),
    disableAfter: {
      failures: int(options.disableAfter?.failures, 'disableAfter.failures', 9, 1, 1_000_000),
      periodMs: int(
        options.disableAfter?.periodMs,
        'disableAfter.periodMs',
        5 * day,
        0,
        3650 * day,
      ),
    },
    worker: options.worker ?? true,
    logger:
      options.logger ??
      pino({ name: 'hookrelay', level: process.env.HOOKRELAY_LOG_LEVEL ?? 'info' }),
    userAgent: options.userAgent ?? 'Hookrelay/0.1',
    resolve: options.resolve,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  }
}
