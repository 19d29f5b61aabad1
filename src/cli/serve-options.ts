import ipaddr from 'ipaddr.js'
import { createAddressPolicy } from '../delivery/address-policy.ts'
import { CliError } from './cli-error.ts'

/** What `hookrelay serve` runs as: `all` (API and delivery), `api` (no delivery), `worker`. */
export type ServeRole = 'all' | 'api' | 'worker'

/** The roles `--role` accepts. */
export const serveRoles: readonly ServeRole[] = ['all', 'api', 'worker']

/** The log levels `--log-level` accepts (pino's). */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A pino log level. */
export type LogLevel = (typeof logLevels)[number]

/**
 * The flags of `hookrelay serve` as commander parsed them: raw strings, and the CIDRs of every
 * `--allow-private`, or `true` when one was given alone.
 */
export interface ServeFlags {
  port?: string
  host?: string
  database?: string
  allowPrivate?: string[] | true
  trustProxy?: string[]
  adminKey?: string
  role?: string
  rateLimit?: string
  authFailureLimit?: string
  shutdownGrace?: string
  logLevel?: string
}

/** The checked settings of `hookrelay serve`, every default filled in. */
export interface ServeOptions {
  /** 0 picks a free port. Default is 8080. */
  port: number
  /** Default is 127.0.0.1. */
  host: string
  /** Default is `hookrelay.db`. */
  database: string
  /** Default is false: deliveries reach public addresses only. */
  allowPrivateNetworks: boolean | string[]
  /** An operator-chosen admin key; null generates one on the first start. */
  adminKey: string | null
  /** Default is `all`. */
  role: ServeRole
  /** Requests per second per API key; 0 is no limit. Default is 1,000. */
  rateLimit: number
  /** Failed authentications per minute per client address; 0 is no limit. Default is 20. */
  authFailureLimit: number
  /**
   * The reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` names the client: the
   * per-address limits then count the client, not the proxy. Default is none.
   */
  trustProxy: string[]
  /**
   * Seconds a stopping server waits for attempts in flight before it interrupts them (they are
   * recorded and due again at once). Default is 10.
   */
  shutdownGraceSeconds: number
  /** Default is `info`. */
  logLevel: LogLevel
}

/** The admin keys `--admin-key` accepts: what the engine's `keys.ensure` stores. */
const adminKeyRe = /^[A-Za-z0-9_.~-]{16,256}$/

/** A raw setting and where it came from: the flag, or its environment variable. */
interface Raw {
  value: string
  source: string
}

/**
 * Turns `serve`'s flags and the environment into checked options: a flag beats its
 * `HOOKRELAY_*` variable, which beats the default; an empty variable counts as unset. Throws a
 * CliError whose one-line message names the flag (or the variable the bad value came from).
 *
 * @example
 * resolveServeOptions({ port: '0' }, process.env).port // 0
 */
export function resolveServeOptions(
  flags: ServeFlags,
  env: Record<string, string | undefined>,
): ServeOptions {
  const pick = (flag: string, value: string | undefined, name: string): Raw | undefined => {
    if (value !== undefined) return { value, source: flag }
    const fromEnv = env[name]
    return fromEnv === undefined || fromEnv === '' ? undefined : { value: fromEnv, source: name }
  }
  return {
    port: integer(pick('--port', flags.port, 'HOOKRELAY_PORT'), 8080, 65_535),
    host: nonEmpty(pick('--host', flags.host, 'HOOKRELAY_HOST'), '127.0.0.1'),
    database: nonEmpty(pick('--database', flags.database, 'HOOKRELAY_DATABASE'), 'hookrelay.db'),
    allowPrivateNetworks: allowPrivate(flags.allowPrivate, env.HOOKRELAY_ALLOW_PRIVATE),
    adminKey: adminKey(pick('--admin-key', flags.adminKey, 'HOOKRELAY_ADMIN_KEY')),
    role: oneOf(pick('--role', flags.role, 'HOOKRELAY_ROLE'), 'all', serveRoles),
    rateLimit: integer(pick('--rate-limit', flags.rateLimit, 'HOOKRELAY_RATE_LIMIT'), 1_000, 1e6),
    authFailureLimit: integer(
      pick('--auth-failure-limit', flags.authFailureLimit, 'HOOKRELAY_AUTH_FAILURE_LIMIT'),
      20, // the plugin's default, written out: client commands load this file, not the server
      1e6,
    ),
    trustProxy: proxies(flags.trustProxy, env.HOOKRELAY_TRUST_PROXY),
    shutdownGraceSeconds: integer(
      pick('--shutdown-grace', flags.shutdownGrace, 'HOOKRELAY_SHUTDOWN_GRACE'),
      10,
      3_600,
    ),
    logLevel: oneOf(pick('--log-level', flags.logLevel, 'HOOKRELAY_LOG_LEVEL'), 'info', logLevels),
  }
}

function integer(raw: Raw | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback
  const text = raw.value.trim()
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN
  if (!(value <= max)) {
    throw new CliError(
      `${raw.source} must be a whole number from 0 to ${max}, not ${quote(raw.value)}`,
    )
  }
  return value
}

function nonEmpty(raw: Raw | undefined, fallback: string): string {
  if (raw === undefined) return fallback
  if (raw.value.trim() === '') throw new CliError(`${raw.source} must not be empty`)
  return raw.value
}

function oneOf<T extends string>(raw: Raw | undefined, fallback: T, allowed: readonly T[]): T {
  if (raw === undefined) return fallback
  if (!(allowed as readonly string[]).includes(raw.value)) {
    throw new CliError(
      `${raw.source} must be one of ${allowed.join(', ')}, not ${quote(raw.value)}`,
    )
  }
  return raw.value as T
}

function adminKey(raw: Raw | undefined): string | null {
  if (raw === undefined) return null
  if (!adminKeyRe.test(raw.value)) {
    throw new CliError(
      `${raw.source} must be 16 to 256 letters, digits or _ . ~ - (got ${raw.value.length} characters)`,
    )
  }
  return raw.value
}

function allowPrivate(
  flags: string[] | true | undefined,
  env: string | undefined,
): boolean | string[] {
  if (flags === true) return true
  if (flags !== undefined) return cidrList(flags, '--allow-private')
  const value = env?.trim() ?? ''
  if (value === '') return false
  if (value === 'true') return true
  return cidrList(
    value.split(',').map((cidr) => cidr.trim()),
    'HOOKRELAY_ALLOW_PRIVATE',
  )
}

function cidrList(cidrs: string[], source: string): string[] {
  for (const cidr of cidrs) {
    try {
      createAddressPolicy([cidr])
    } catch {
      throw new CliError(`${source} must be a CIDR such as 10.0.0.0/8, not ${quote(cidr)}`)
    }
  }
  return cidrs
}

function proxies(flags: string[] | undefined, env: string | undefined): string[] {
  const [list, source] =
    flags !== undefined
      ? [flags, '--trust-proxy']
      : [(env ?? '').split(',').map((part) => part.trim()), 'HOOKRELAY_TRUST_PROXY']
  const given = list.filter((part) => part !== '')
  for (const proxy of given) {
    if (!ipaddr.isValid(proxy) && !ipaddr.isValidCIDR(proxy)) {
      throw new CliError(
        `${source} must be an address or a CIDR such as 10.0.0.0/8, not ${quote(proxy)}`,
      )
    }
  }
  return given
}

function quote(value: string): string {
  return JSON.stringify(value)
}
