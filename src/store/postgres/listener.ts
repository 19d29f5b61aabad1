import pg from 'pg'
import { notifyChannel } from './connection.ts'

/** The first wait before reconnecting a dropped listener; it doubles up to `maxDelayMs`. */
const firstDelayMs = 100
const maxDelayMs = 5_000

/**
 * LISTENs for `hookrelay_deliveries` on a connection of its own (a pooled one would go back to the
 * pool and stop listening) and calls `onNotify` for each notification about `schema` (or with an
 * empty payload, as versions before 0.2 send). When the connection drops
 * it reconnects by itself, and then calls `onNotify` once, for what it may have missed. Resolves,
 * once listening, to a function that stops it.
 */
export async function listen(
  config: pg.ClientConfig,
  schema: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  let stopped = false
  let current: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let delay = firstDelayMs

  const wake = (): void => {
    try {
      onNotify()
    } catch {
      // A listener's failure is its own business; the connection keeps listening.
    }
  }

  const open = async (): Promise<void> => {
    // Keepalive probes notice a connection that died silently (a NAT or firewall dropping it):
    // without them a listener would wait forever for notifications, leaving only polling.
    const client = new pg.Client({
      ...config,
      application_name: 'hookrelay-listen',
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    })
    // A dropped connection emits 'error' and then 'end'; 'end' reconnects.
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query(`LISTEN ${notifyChannel}`)
    } catch (error) {
      client.end().catch(() => {})
      throw error
    }
    if (stopped) {
      await client.end()
      return
    }
    client.on('notification', (message) => {
      const about = message.payload ?? ''
      if (message.channel === notifyChannel && (about === schema || about === '')) wake()
    })
    client.once('end', () => {
      if (current !== client) return
      current = undefined
      reconnect()
    })
    current = client
  }

  const reconnect = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      timer = undefined
      open().then(
        () => {
          delay = firstDelayMs
          if (!stopped) wake()
        },
        () => {
          delay = Math.min(delay * 2, maxDelayMs)
          reconnect()
        },
      )
    }, delay)
  }

  await open()
  return async () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
    const client = current
    current = undefined
    await client?.end()
  }
}

/** The listeners a store started, stopped together when it closes. */
export class Listeners {
  readonly #stops = new Set<() => Promise<void>>()
  #closed = false

  /** Starts a listener (see `listen`); the function it resolves to stops it, once. */
  async add(
    config: pg.ClientConfig,
    schema: string,
    onNotify: () => void,
  ): Promise<() => Promise<void>> {
    const stopListening = await listen(config, schema, onNotify)
    const stop = async (): Promise<void> => {
      if (this.#stops.delete(stop)) await stopListening()
    }
    this.#stops.add(stop)
    // Closed while it connected: nothing else would ever stop it.
    if (this.#closed) await this.close()
    return stop
  }

  /** Stops every listener, and any that finishes connecting later. */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#stops].map((stop) => stop()))
  }
}
