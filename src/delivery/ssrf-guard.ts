import { promises as dnsPromises, type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, type buildConnector, type Dispatcher } from 'undici'
import { UnsafeUrlError, ValidationError } from '../core/errors.ts'
import { type AddressPolicy, createAddressPolicy } from './address-policy.ts'

/** Resolves a hostname to every IP address it has. Default is `dns.promises.lookup` with `all`. */
export type Resolver = (hostname: string) => Promise<string[]>

/** Options of the SSRF guard. */
export interface SsrfGuardOptions {
  /** `false` (default in Hookrelay): public addresses only; `true`: anything; or allowed CIDRs. */
  allowPrivateNetworks: boolean | readonly string[]
  /** Injected DNS; default is the system resolver (`dns.promises.lookup`, all addresses). */
  resolve?: Resolver
}

/** Options of `SsrfGuard.checkUrl`. */
export interface CheckUrlOptions {
  /** Resolve a hostname and check every address. Default is `true`; IP literals are always checked. */
  resolve?: boolean
  /** The field named in errors. Default is `config.url`. */
  field?: string
}

/**
 * Agent options for `SsrfGuard.dispatcher`. `connect` is an options object only (a custom
 * connector would bypass the guard); its `lookup` and any `socketPath` are overridden.
 */
export type GuardedAgentOptions = Omit<Agent.Options, 'connect' | 'factory' | 'socketPath'> & {
  connect?: Partial<buildConnector.BuildOptions>
}

/** The system resolver: every address of `hostname`, in the order the OS gives them. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dnsPromises.lookup(hostname, { all: true, order: 'verbatim' })
  return found.map((a) => a.address)
}

/**
 * Parses a delivery target: an absolute `http:` or `https:` URL without credentials. IPv4 in
 * decimal, octal, hex or short form is normalised by WHATWG URL (`http://0x7f.1/` becomes
 * `127.0.0.1`). Throws a `ValidationError` naming `field`.
 */
export function parseTargetUrl(url: string, field = 'config.url'): URL {
  const parsed = typeof url === 'string' ? URL.parse(url) : null
  if (parsed === null) throw new ValidationError(field, 'must be an absolute URL')
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError(field, 'must use http or https')
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ValidationError(field, 'must not contain credentials')
  }
  if (parsed.hostname === '') throw new ValidationError(field, 'must have a host')
  return parsed
}

/** True when `err`, or an error in its `cause` chain, is the SSRF guard's refusal. */
export function isUnsafeUrlError(err: unknown): boolean {
  const seen = new Set<unknown>()
  const queue: unknown[] = [err]
  while (queue.length > 0) {
    const e = queue.shift()
    if (typeof e !== 'object' || e === null || seen.has(e)) continue
    seen.add(e)
    if (e instanceof UnsafeUrlError || (e as { code?: unknown }).code === 'unsafe_url') return true
    queue.push((e as { cause?: unknown }).cause)
    // Happy Eyeballs failures arrive as an AggregateError of per-address errors.
    if (e instanceof AggregateError) queue.push(...e.errors)
  }
  return false
}

// Lookups that find nothing, or find nothing for now (the DNS server failed or timed out, as
// EAI_AGAIN and ESERVFAIL say): the hostname may resolve later, so it is not refused at creation;
// the dispatcher looks it up again at every new connection. Any other failure means the resolver
// refuses the name itself (EINVAL, EBADNAME, EAI_FAIL, …): a 400 naming the field, never a 500.
const notResolvedCodes = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
  'ESERVFAIL',
  'ETIMEOUT',
])

function unsafe(field: string): UnsafeUrlError {
  // Never name the address: the tenant must not learn what answers inside the network.
  return new UnsafeUrlError(
    `${field} resolves to an address that is not allowed (private, loopback or reserved network)`,
  )
}

function hostOf(url: URL): string {
  const h = url.hostname
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h
}

function wantedFamily(options: LookupOptions): 0 | 4 | 6 {
  const f = options.family
  if (f === 4 || f === 'IPv4') return 4
  if (f === 6 || f === 'IPv6') return 6
  return 0
}

/**
 * The SSRF guard: checks delivery URLs and gives an undici dispatcher that connects only to
 * checked addresses. A hostname is resolved once per new connection, every address is checked,
 * and the socket goes to a checked address (no second lookup, so DNS rebinding has no window).
 *
 * @example
 * const guard = new SsrfGuard({ allowPrivateNetworks: false })
 * await guard.checkUrl(input.config.url) // at create/update: 400-worthy errors
 * const dispatcher = guard.dispatcher()
 * await guard.checkUrl(url, { resolve: false }) // every attempt, before request()
 * await request(url, { method: 'POST', dispatcher })
 */
export class SsrfGuard {
  readonly #policy: AddressPolicy
  readonly #resolve: Resolver

  constructor(options: SsrfGuardOptions) {
    this.#policy = createAddressPolicy(options.allowPrivateNetworks)
    this.#resolve = options.resolve ?? systemResolver
  }

  /**
   * Checks a target URL: parses it (`ValidationError`), checks an IP literal, and with `resolve`
   * (default) checks every address the hostname resolves to (`UnsafeUrlError`). A hostname that
   * is not found (yet) is accepted, and the dispatcher checks it again when it is called; one the
   * resolver refuses otherwise is a `ValidationError` naming the field.
   */
  async checkUrl(url: string, options: CheckUrlOptions = {}): Promise<void> {
    const field = options.field ?? 'config.url'
    const host = hostOf(parseTargetUrl(url, field))
    if (isIP(host) !== 0) {
      if (!this.#policy.isAllowed(host)) throw unsafe(field)
      return
    }
    if (options.resolve === false) return
    let addresses: string[]
    try {
      addresses = await this.#resolve(host)
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      if (notResolvedCodes.has(String(code))) return
      const answered = typeof code === 'string' ? ` (the resolver answered ${code})` : ''
      throw new ValidationError(field, `the host name cannot be resolved${answered}`)
    }
    if (!addresses.every((a) => this.#policy.isAllowed(a))) throw unsafe(field)
  }

  /**
   * A `net.connect` lookup that resolves once with the guard's resolver, refuses (with an
   * `UnsafeUrlError`) when any address is not allowed, and otherwise answers with the checked
   * addresses, as one address or, with `options.all` (Happy Eyeballs), as a list.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const family = wantedFamily(options)
    const addresses: Promise<string[]> =
      isIP(hostname) !== 0 ? Promise.resolve([hostname]) : this.#resolve(hostname)
    addresses.then(
      (all) => {
        if (!all.every((a) => this.#policy.isAllowed(a))) {
          callback(unsafe('config.url'), '')
          return
        }
        const usable: LookupAddress[] = all
          .map((address) => ({ address, family: isIP(address) }))
          .filter((a) => a.family !== 0 && (family === 0 || a.family === family))
        const first = usable[0]
        if (first === undefined) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
          err.code = 'ENOTFOUND'
          callback(err, '')
        } else if (options.all === true) {
          callback(null, usable)
        } else {
          callback(null, first.address, first.family)
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    )
  }

  /**
   * An undici `Agent` (keep-alive pool) whose connections go only to checked addresses: hostnames
   * through `lookup`, IP literals refused at dispatch. Close it when done.
   *
   * `net.connect` does not call `lookup` for an IP literal, so this dispatcher refuses literals
   * itself as a second line; the sender should still call `checkUrl(url, { resolve: false })`
   * before each request to get the `UnsafeUrlError` without going through undici.
   */
  dispatcher(options: GuardedAgentOptions = {}): Dispatcher {
    // Untyped callers could still pass these; a factory or a socket path would bypass the guard.
    const {
      connect,
      factory: _factory,
      socketPath: _socketPath,
      ...rest
    } = options as Agent.Options
    if (typeof connect === 'function') {
      throw new TypeError('SsrfGuard.dispatcher: connect must be an options object')
    }
    return new GuardedAgent(
      { ...rest, connect: { ...connect, socketPath: null, lookup: this.lookup } },
      this.#policy,
    )
  }
}

/**
 * An `Agent` that refuses origins whose host is a literal address the policy does not allow.
 * A subclass rather than `agent.compose(interceptor)`: composing wraps every request's handler
 * twice, which costs more than the check itself at thousands of requests a second.
 */
class GuardedAgent extends Agent {
  readonly #policy: AddressPolicy
  // Origins repeat on every delivery: judge each once (bounded, since users choose them).
  readonly #verdicts = new Map<string, boolean>()

  constructor(options: Agent.Options, policy: AddressPolicy) {
    super(options)
    this.#policy = policy
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    if (!this.#allowed(String(options.origin ?? ''))) throw unsafe('config.url')
    return super.dispatch(options, handler)
  }

  #allowed(originText: string): boolean {
    let verdict = this.#verdicts.get(originText)
    if (verdict === undefined) {
      const origin = URL.parse(originText)
      const host = origin === null ? '' : hostOf(origin)
      verdict = isIP(host) === 0 || this.#policy.isAllowed(host)
      if (this.#verdicts.size >= 10_000) this.#verdicts.clear()
      this.#verdicts.set(originText, verdict)
    }
    return verdict
  }
}
