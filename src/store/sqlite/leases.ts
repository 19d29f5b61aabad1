/** A claim as the SQLite store holds it: in memory, never written (see `claims-sql.ts`). */
export interface Lease {
  token: string
  /** Epoch ms when the lease runs out and the delivery may be claimed again. */
  until: number
  /**
   * The row's `lease_token` when it was claimed: null, or a manual claim's that ran out. The
   * delivery row changes only while it still holds this value, so a manual claim made since
   * (which writes its own token) wins over this lease.
   */
  seen: string | null
}

/** The leases of the deliveries this store has claimed and not yet recorded or released. */
export class Leases {
  readonly #byDelivery = new Map<string, Lease>()

  get size(): number {
    return this.#byDelivery.size
  }

  set(deliveryId: string, lease: Lease): void {
    this.#byDelivery.set(deliveryId, lease)
  }

  /** Whether `deliveryId` is under a lease that has not run out at `now`. */
  live(deliveryId: string, now: number): boolean {
    const lease = this.#byDelivery.get(deliveryId)
    return lease !== undefined && lease.until > now
  }

  /** How many leases have not run out at `now`. */
  liveCount(now: number): number {
    let n = 0
    for (const lease of this.#byDelivery.values()) if (lease.until > now) n++
    return n
  }

  /** When a claim may take `deliveryId` again: its lease's end, or `due` without a lease. */
  dueAt(deliveryId: string, due: number): number {
    const lease = this.#byDelivery.get(deliveryId)
    return lease === undefined ? due : Math.max(due, lease.until)
  }

  /**
   * Ends the lease of `deliveryId` when `token` holds it here, and returns the `lease_token` the
   * delivery row must still hold for a write under `token` to apply: what the claim read (see
   * `seen`), or, for a claim not leased here (a manual claim writes its token), `token` itself.
   */
  end(deliveryId: string, token: string): string | null {
    const lease = this.#byDelivery.get(deliveryId)
    if (lease?.token !== token) return token
    this.#byDelivery.delete(deliveryId)
    return lease.seen
  }

  /**
   * Forgets leases that ran out by `now` (their deliveries were neither recorded nor released),
   * and says how many there were.
   */
  sweep(now: number): number {
    let n = 0
    for (const [id, lease] of this.#byDelivery) {
      if (lease.until > now) continue
      this.#byDelivery.delete(id)
      n++
    }
    return n
  }

  /** When the first lease held runs out: epoch ms, or infinity without any. */
  firstEnd(): number {
    let first = Number.POSITIVE_INFINITY
    for (const lease of this.#byDelivery.values()) if (lease.until < first) first = lease.until
    return first
  }

  clear(): void {
    this.#byDelivery.clear()
  }
}
