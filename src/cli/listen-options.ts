import type { SignatureScheme } from '../core/signing/index.ts'
import { CliError } from './cli-error.ts'
import { wholeNumberFlag } from './flag-values.ts'
import { signatureSchemes } from './listen-check.ts'

/** The flags of `hookrelay listen` as commander parsed them: raw strings, `--secret` collected. */
export interface ListenFlags {
  port?: string
  host?: string
  path?: string
  secret?: string[]
  scheme?: string
  status?: string
  forwardTo?: string
  json?: boolean
}

/** The checked settings of `hookrelay listen`, every default filled in. */
export interface ListenOptions {
  /** 0 picks a free port. Default is 9000. */
  port: number
  /** Default is 127.0.0.1. */
  host: string
  /** The one path accepted, starting with `/`; default null accepts any path. */
  path: string | null
  /** Every `--secret`, else `HOOKRELAY_SECRET`; empty checks nothing. */
  secrets: string[]
  /** Default null: detected from the headers of each request. */
  scheme: SignatureScheme | null
  /** The status answered. Default is 200. */
  status: number
  /** The app each webhook is forwarded to, whose answer is the listener's; default null. */
  forwardTo: string | null
  /** One JSON object per line instead of the human view. Default is false. */
  json: boolean
}

/**
 * Turns `listen`'s flags and the environment into checked options. Throws a CliError whose
 * one-line message names the flag.
 *
 * @example
 * resolveListenOptions({ secret: ['whsec_…'], status: '500' }, process.env).status // 500
 */
export function resolveListenOptions(
  flags: ListenFlags,
  env: Record<string, string | undefined>,
): ListenOptions {
  const fromEnv = env.HOOKRELAY_SECRET ?? ''
  const secrets = flags.secret ?? (fromEnv === '' ? [] : [fromEnv])
  if (secrets.some((secret) => secret === '')) throw new CliError('--secret must not be empty')
  if (flags.host?.trim() === '') throw new CliError('--host must not be empty')
  if (flags.status !== undefined && flags.forwardTo !== undefined) {
    throw new CliError("--status and --forward-to do not go together: the app's answer is sent")
  }
  return {
    port: wholeNumberFlag(flags.port, '--port', 9000, 0, 65_535),
    host: flags.host ?? '127.0.0.1',
    path: path(flags.path),
    secrets,
    scheme: scheme(flags.scheme),
    // 1xx is not a final answer, and below 100 is no status at all.
    status: wholeNumberFlag(flags.status, '--status', 200, 200, 599),
    forwardTo: forwardTo(flags.forwardTo),
    json: flags.json === true,
  }
}

function path(raw: string | undefined): string | null {
  if (raw === undefined) return null
  if (!raw.startsWith('/') || /[?#\s]/.test(raw)) {
    throw new CliError(`--path must start with / and hold no query, like /webhooks, not "${raw}"`)
  }
  return raw
}

function forwardTo(raw: string | undefined): string | null {
  if (raw === undefined) return null
  let url: URL | null = null
  try {
    url = new URL(raw)
  } catch {}
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(
      `--forward-to must be an http:// or https:// URL, like http://127.0.0.1:3000/webhooks, not "${raw}"`,
    )
  }
  return raw
}

function scheme(raw: string | undefined): SignatureScheme | null {
  if (raw === undefined) return null
  const found = signatureSchemes.find((s) => s === raw)
  if (found === undefined) {
    throw new CliError(`--scheme must be one of ${signatureSchemes.join(', ')}, not "${raw}"`)
  }
  return found
}
