/**
 * Runs functions one at a time per key, in call order. Subscription changes read, change and
 * write back a whole subscription; two at once (a URL change and a secret rotation, say) would
 * otherwise lose one of them. It serialises within one process; many processes on one database
 * need the store's own guard.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>()

  /** Runs `fn` after every earlier call with the same key has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    const result = previous.then(fn, fn)
    const tail = result.catch(() => {})
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }
}
