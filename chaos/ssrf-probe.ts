/**
 * The SSRF scenario's REST side: gives every target to a `hookrelay serve` running the default
 * address policy — as a new subscription, as the new URL of an existing one, as the receiver of
 * published events and of test pings — and tallies, from the API's own answers and attempt log,
 * what Hookrelay refused and what it sent. What actually arrived is counted elsewhere, at the
 * receivers: the tallies here only say whether the refusals happened where they should.
 */
import type { ApiClient } from '../test/support/faults.ts'
import { type SsrfTarget, targets, targetUrl, tokenOf } from './ssrf-targets.ts'

/** How the attempts (or pings) of one target ended. */
export interface Tally {
  /** Refused by the SSRF guard: recorded as `the URL points at an address that is not allowed`. */
  refused: number
  /** Answered by a receiver (any status). */
  answered: number
  /** Neither: the error of each, which means the target's setup proved nothing. */
  other: string[]
}

/** What Hookrelay did with one target, and what its receivers got from it. */
export interface TargetResult {
  name: string
  kind: SsrfTarget['kind']
  url: string
  /** True when its trick needs the create-time check to pass (rebinding). */
  passesCreate: boolean
  /** Whether a subscription to it was planted under the permissive policy (an invalid URL is not). */
  planted: boolean
  /** The answer to creating a subscription to it under the default policy: 201 or 400. */
  create: { status: number; code: string | null }
  /** The answer to changing an existing subscription's URL to it: 200 or 400. */
  update: { status: number; code: string | null }
  deliveries: Tally
  pings: Tally
  /** Manual re-sends of one delivery each (`POST /webhooks/deliveries/:id/retry`). */
  resends: Tally
  /** Requests carrying its token that arrived at a public address. */
  publicRequests: number
}

/** A request or connection that arrived at a private address: every one is a failure. */
export interface PrivateHit {
  address: string
  port: number
  path: string
  /** The URL Hookrelay was given, found by the token in the path; null without one (port 443). */
  url: string | null
}

/** What the namespace child prints, as one JSON line. */
export interface NamespaceResult {
  targets: TargetResult[]
  privateHits: PrivateHit[]
  /** DNS queries the namespace's server answered: 0 would mean no name was ever looked up. */
  dnsQueries: number
  /** Deliveries with no attempt when the deadline came. */
  unattempted: number
  /** Milliseconds each phase took. */
  phases: Record<string, number>
}

interface Attempt {
  subscriptionId: string
  statusCode: number | null
  error?: string | null
}

interface EventDetail {
  deliveries: { id: string; subscriptionId: string; attempts: number }[]
  attempts: Attempt[]
}

const refusal = /not allowed/

/** The REST calls of the scenario, and their tallies per target. */
export class Probe {
  readonly results: TargetResult[] = targets.map((target) => ({
    name: target.name,
    kind: target.kind,
    url: target.url,
    passesCreate: target.passesCreate === true,
    planted: false,
    create: { status: 0, code: null },
    update: { status: 0, code: null },
    deliveries: { refused: 0, answered: 0, other: [] },
    pings: { refused: 0, answered: 0, other: [] },
    resends: { refused: 0, answered: 0, other: [] },
    publicRequests: 0,
  }))
  readonly #api: ApiClient
  readonly #key: string
  // Subscription id → target index, for every subscription that can receive events.
  readonly #targetOf = new Map<string, number>()
  // The events as last read by `tallyDeliveries`.
  #events: EventDetail[] = []

  constructor(api: ApiClient, key: string) {
    this.#api = api
    this.#key = key
  }

  /** Notes a subscription to target `index` written straight into the store. */
  planted(subscriptionId: string, index: number): void {
    this.results[index]!.planted = true
    this.#targetOf.set(subscriptionId, index)
  }

  /** Creates a subscription to every target through the API; keeps the ones it accepts. */
  async createAll(): Promise<void> {
    await forEach(targets, async (_, index) => {
      const answer = await this.#api.call('POST', '/webhooks/subscriptions', this.#key, {
        name: tokenOf(index, 'c'),
        events: ['order.*'],
        config: { url: targetUrl(index, 'c') },
      })
      this.results[index]!.create = { status: answer.status, code: answer.body?.code ?? null }
      if (answer.status === 201) this.#targetOf.set(answer.body.id as string, index)
    })
  }

  /**
   * Points one subscription, which hears no events, at every target in turn: the same check as
   * creation, reached through `PUT`. One at a time, as each changes the same subscription.
   */
  async updateAll(): Promise<void> {
    const scratch = await this.#api.call('POST', '/webhooks/subscriptions', this.#key, {
      name: 'scratch',
      events: ['scratch.*'],
      config: { url: 'http://93.184.216.34/scratch' },
    })
    if (scratch.status !== 201) throw new Error(`scratch subscription: ${scratch.status}`)
    for (const [index] of targets.entries()) {
      const answer = await this.#api.call(
        'PUT',
        `/webhooks/subscriptions/${scratch.body.id as string}`,
        this.#key,
        { config: { url: targetUrl(index, 'u') } },
      )
      this.results[index]!.update = { status: answer.status, code: answer.body?.code ?? null }
    }
  }

  /** Publishes `count` events, each delivered to every subscription; resolves to their ids. */
  async publish(count: number): Promise<string[]> {
    const ids: string[] = []
    for (let n = 0; n < count; n++) {
      const answer = await this.#api.publish(this.#key, { n })
      if (answer.status !== 202) throw new Error(`publish: ${answer.status}`)
      ids.push(answer.body.id as string)
    }
    return ids
  }

  /** Asks every subscription for a test ping `times` times, and tallies the answers. */
  async pingAll(times: number): Promise<void> {
    const jobs = [...this.#targetOf].flatMap((job) => Array.from({ length: times }, () => job))
    await forEach(jobs, async ([id, index]) => {
      const answer = await this.#api.call('POST', `/webhooks/subscriptions/${id}/test`, this.#key)
      const tally = this.results[index]!.pings
      if (answer.status !== 200) tally.other.push(`test answered ${answer.status}`)
      else count(tally, answer.body.error ?? null, answer.body.statusCode ?? null)
    })
  }

  /**
   * Waits until every delivery of `eventIds` has had an attempt — with `retried`, two for those
   * to redirecting receivers, whose first answer is a failure retried after about 5 s — or until
   * `deadline`; then tallies every attempt. Resolves to the deliveries never attempted.
   */
  async tallyDeliveries(eventIds: string[], deadline: number, retried: boolean): Promise<number> {
    let details: EventDetail[] = []
    const wanted = (subscriptionId: string) =>
      retried && targets[this.#targetOf.get(subscriptionId) ?? -1]?.kind === 'redirect' ? 2 : 1
    const done = () =>
      details.every((event) =>
        event.deliveries.every((d) => d.attempts >= wanted(d.subscriptionId)),
      )
    do {
      if (details.length > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      details = await Promise.all(eventIds.map((id) => this.#event(id)))
    } while (!done() && Date.now() < deadline)
    this.#events = details
    for (const attempt of details.flatMap((event) => event.attempts)) {
      const index = this.#targetOf.get(attempt.subscriptionId)
      if (index === undefined) continue
      count(this.results[index]!.deliveries, attempt.error ?? null, attempt.statusCode)
    }
    return details.flatMap((event) => event.deliveries).filter((d) => d.attempts === 0).length
  }

  /**
   * Sends every delivery of the first event again by hand, the way an operator would after
   * fixing a receiver, and tallies the attempts: a manual attempt goes through the same guard.
   */
  async resendAll(): Promise<void> {
    const deliveries = (this.#events[0]?.deliveries ?? []).filter((d) =>
      this.#targetOf.has(d.subscriptionId),
    )
    await forEach(deliveries, async (delivery) => {
      const answer = await this.#api.call(
        'POST',
        `/webhooks/deliveries/${delivery.id}/retry`,
        this.#key,
      )
      const tally = this.results[this.#targetOf.get(delivery.subscriptionId)!]!.resends
      if (answer.status !== 200) tally.other.push(`retry answered ${answer.status}`)
      else count(tally, answer.body.error ?? null, answer.body.statusCode ?? null)
    })
  }

  async #event(id: string): Promise<EventDetail> {
    const answer = await this.#api.call('GET', `/webhooks/events/${id}`, this.#key)
    if (answer.status !== 200) throw new Error(`event ${id}: ${answer.status}`)
    return answer.body as EventDetail
  }
}

function count(tally: Tally, error: string | null, statusCode: number | null): void {
  if (error !== null && refusal.test(error)) tally.refused++
  else if (statusCode !== null) tally.answered++
  else tally.other.push(error ?? 'neither an answer nor an error')
}

/** Runs `job` for every item, eight at a time (the API client keeps 16 connections). */
async function forEach<T>(items: T[], job: (item: T, index: number) => Promise<void>) {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      await job(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}
