import { UnavailableError } from '../../core/errors.ts'

// Socket errors of a server that is down, restarting or out of reach.
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

// SQLSTATEs of a server going away or not yet there: 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting up or shutting down); class 08 is connection exceptions.
const serverCodes = new Set(['57P01', '57P02', '57P03'])

// What `pg` itself throws when the socket ends or a client that lost it is used again.
const driverMessages = [/^Connection terminated/, /^Client has encountered a connection error/]

/** Whether `error` means the database cannot be reached or the connection dropped. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (socketCodes.has(code) || serverCodes.has(code) || code.startsWith('08')) return true
  }
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isConnectionError)
  return driverMessages.some((re) => re.test(error.message))
}

/** `error` as an `UnavailableError` (with it as `cause`) when it is a connection error. */
export function translate(error: unknown): unknown {
  return isConnectionError(error) ? new UnavailableError({ cause: error }) : error
}

/** Runs `fn`, turning a connection error it rejects with into an `UnavailableError`. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw translate(error)
  }
}

type Verbs = Record<string, (...args: never[]) => Promise<unknown>>

/**
 * The same verbs, each turning a connection error into an `UnavailableError`, so callers see one
 * stable code (the REST API's 503) whatever the driver reported.
 */
export function guarded<T extends Verbs>(verbs: T): T {
  const out: Record<string, unknown> = {}
  for (const [name, verb] of Object.entries(verbs)) {
    out[name] = (...args: never[]) => guard(() => verb(...args))
  }
  return out as T
}
