import ipaddr from 'ipaddr.js'
import { TokenBucket } from '../delivery/token-bucket.ts'

/** Failed authentications per minute per client address, unless told otherwise: 20. */
export const defaultAuthFailureLimit = 20

/** Client addresses whose failures are remembered at most; the least recently seen go first. */
const addressLimit = 10_000

/** How one authentication ended, for `AuthFailureLimit`. */
export type AuthOutcome = 'failed' | 'passed' | 'not-judged'

/** What `AuthFailureLimit.admit` answers: go ahead (then `settle`), or wait `retryAfterMs`. */
export type Admission =
  | { admitted: true; settle: (outcome: AuthOutcome) => void }
  | { admitted: false; retryAfterMs: number }

/** One client address: its failure budget, and its authentications under way. */
interface AddressState {
  bucket: TokenBucket
  inFlight: number
  /** Requests waiting for an authentication under way to end before they are judged. */
  waiting: (() => void)[]
}

/**
 * Limits failed authentications per client address, fail2ban-style: each address may fail
 * `perMinute` times in a burst, then once every 60/`perMinute` seconds. While an address is over
 * its budget, every request from it (with a right key too) is refused before its credentials are
 * even looked at: checking them is the hash and the database lookup an attacker wants to make us
 * do, and letting right keys through would mean checking every key. Other addresses are not
 * touched by it, so a client with a right key never waits for someone else's failures, unless
 * they share an address (a proxy: see the README).
 *
 * Each authentication reserves a token before it starts and gives it back if it passes, so 50
 * concurrent wrong keys cost at most `perMinute` lookups, not 50. A request that finds the budget
 * reserved only by authentications still under way waits for them instead of being refused: a
 * busy client whose right key is not cached yet must not get 429s for its own concurrency.
 *
 * Memory is bounded: an address whose bucket is full again, with nothing under way, is forgotten,
 * and past 10,000 addresses the least recently seen one is. IPv6 clients count per /64, the block
 * one machine usually has, so an attacker cannot take a fresh budget from each of its addresses.
 */
export class AuthFailureLimit {
  readonly #perMinute: number
  readonly #now: () => number
  readonly #addresses = new Map<string, AddressState>()

  /** `now` is the monotonic clock in ms; tests move their own. */
  constructor(perMinute: number, now: () => number = () => performance.now()) {
    this.#perMinute = perMinute
    this.#now = now
  }

  /** How many client addresses are remembered now. */
  get size(): number {
    return this.#addresses.size
  }

  /**
   * Waits while the address's budget is held by authentications under way, then admits the
   * request (call `settle` with how its authentication ended) or refuses it, saying when the
   * address may try again.
   */
  async admit(ip: string): Promise<Admission> {
    const address = clientOf(ip)
    for (;;) {
      const state = this.#stateOf(address)
      const waitMs = state.bucket.take(this.#now())
      if (waitMs === 0) {
        state.inFlight++
        return { admitted: true, settle: (outcome) => this.#settle(address, state, outcome) }
      }
      if (state.inFlight === 0) return { admitted: false, retryAfterMs: waitMs }
      await new Promise<void>((resolve) => state.waiting.push(resolve))
    }
  }

  #settle(address: string, state: AddressState, outcome: AuthOutcome): void {
    state.inFlight--
    const now = this.#now()
    if (outcome !== 'failed') state.bucket.giveBack(now)
    // Every waiter judges again: a token came back, or the budget is spent for good.
    for (const wake of state.waiting.splice(0)) wake()
    if (state.inFlight === 0 && state.bucket.isFull(now)) {
      if (this.#addresses.get(address) === state) this.#addresses.delete(address)
    }
  }

  #stateOf(address: string): AddressState {
    let state = this.#addresses.get(address)
    if (state !== undefined) {
      // Seen again: to the back of the eviction line.
      this.#addresses.delete(address)
      this.#addresses.set(address, state)
      return state
    }
    const oldest = this.#addresses.keys().next()
    if (this.#addresses.size >= addressLimit && oldest.done !== true) {
      // Its authentications under way still settle on the state they hold.
      this.#addresses.delete(oldest.value)
    }
    state = {
      bucket: new TokenBucket(this.#perMinute / 60, Math.max(1, this.#perMinute), this.#now()),
      inFlight: 0,
      waiting: [],
    }
    this.#addresses.set(address, state)
    return state
  }
}

/** The key an address counts under: IPv4 as it is, IPv6 by its /64 (IPv4-mapped as IPv4). */
export function clientOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const address = ipaddr.process(ip)
  if (address.kind() === 'ipv4') return address.toString()
  return `${(address as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`
}
