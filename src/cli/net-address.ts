import { CliError } from './cli-error.ts'

/**
 * The base URL to reach a local server on, without a trailing slash: the host as given (loopback
 * for a wildcard address), brackets around IPv6, the real port.
 *
 * @example
 * reachableUrl('0.0.0.0', 9000) // 'http://127.0.0.1:9000'
 */
export function reachableUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

/** The one-line CliError for a failed `listen()`: port in use, permission, unknown address. */
export function listenError(err: unknown, host: string, port: number): CliError {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'no such address on this machine'
          : (message.split('\n')[0] ?? message)
  return new CliError(`cannot listen on ${host} port ${port}: ${why}`, { cause: err })
}

// Node's and undici's codes for a connection that could not be made or was lost, in words.
const connectionFailures: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_SOCKET: 'the connection was closed before an answer',
}

/**
 * Why a connection failed, in words, from a Node or undici error `code`; undefined for a code
 * it does not know.
 *
 * @example
 * connectionFailure('ECONNREFUSED') // 'connection refused'
 */
export function connectionFailure(code: unknown): string | undefined {
  return typeof code === 'string' ? connectionFailures[code] : undefined
}
