import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request the receiver got. */
export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** The address it arrived at (`::ffff:10.1.2.3` on a dual-stack socket): which target it hit. */
  localAddress: string
  /** When it arrived, on the monotonic clock (ms). */
  at: number
}

/** How the receiver answers one request. */
export type Behaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'big'; bytes: number }
  | { kind: 'delay'; ms: number; status: number }

/**
 * A real local HTTP receiver for end-to-end tests (Svix's TestReceiver): records every request and
 * answers as it is told, per path, once or always.
 */
export class TestReceiver {
  readonly received: Received[] = []
  /** The most `delay` answers that were pending at once. */
  maxOpen = 0
  #open = 0
  // Requests whose answer has not ended (or whose connection has not closed), by path.
  readonly #openAt = new Map<string, number>()
  readonly #maxOpenAt = new Map<string, number>()
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #once = new Map<string, Behaviour[]>()
  readonly #always = new Map<string, Behaviour>()
  #waiters: { count: number; resolve: () => void }[] = []

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const path = req.url ?? '/'
        const open = (this.#openAt.get(path) ?? 0) + 1
        this.#openAt.set(path, open)
        this.#maxOpenAt.set(path, Math.max(open, this.#maxOpenAt.get(path) ?? 0))
        res.on('close', () => this.#openAt.set(path, this.#openAt.get(path)! - 1))
        this.received.push({
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          localAddress: req.socket.localAddress ?? '',
          at: performance.now(),
        })
        this.#answer(this.#next(path), res)
        this.#wake()
      })
    })
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
    this.#server.keepAliveTimeout = 60_000
  }

  /**
   * Starts a receiver, by default on 127.0.0.1 on a free port. Inside a network namespace of its
   * own a test may listen on every address (`'::'`) on port 80, to see whatever is dialled there.
   */
  static async start(host = '127.0.0.1', port = 0): Promise<TestReceiver> {
    const receiver = new TestReceiver()
    await new Promise<void>((resolve) => receiver.#server.listen(port, host, resolve))
    return receiver
  }

  /** The receiver's base URL, `http://127.0.0.1:PORT` (`http://[::]:PORT` on every address). */
  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  }

  /** Answers the next requests to `path` with these behaviours, in order, then as before. */
  queue(path: string, ...behaviours: Behaviour[]): void {
    this.#once.set(path, [...(this.#once.get(path) ?? []), ...behaviours])
  }

  /** Answers every request to `path` this way. */
  always(path: string, behaviour: Behaviour): void {
    this.#always.set(path, behaviour)
  }

  /**
   * The most requests to `path` that were open at once (a hung one stays open until the sender
   * gives up and closes it). `reset` starts counting again from what is open now.
   */
  maxOpenAt(path: string, reset = false): number {
    const most = this.#maxOpenAt.get(path) ?? 0
    if (reset) this.#maxOpenAt.set(path, this.#openAt.get(path) ?? 0)
    return most
  }

  /** Requests received for `path`. */
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path)
  }

  /** Resolves once at least `count` requests arrived in all. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ count, resolve }))
  }

  /** Like `waitFor`, but rejects when `count` requests have not arrived within `ms`. */
  async waitWithin(count: number, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${count} requests did not arrive in ${ms} ms`)),
        ms,
      )
    })
    try {
      await Promise.race([this.waitFor(count), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #next(path: string): Behaviour {
    const queued = this.#once.get(path)
    if (queued !== undefined && queued.length > 0) return queued.shift()!
    return this.#always.get(path) ?? { kind: 'status', status: 200, body: 'ok' }
  }

  #answer(behaviour: Behaviour, res: ServerResponse): void {
    switch (behaviour.kind) {
      case 'status':
        res.writeHead(behaviour.status, behaviour.headers ?? {})
        res.end(behaviour.body ?? '')
        return
      case 'hang':
        return
      case 'reset':
        res.socket?.destroy()
        return
      case 'delay':
        this.#open++
        this.maxOpen = Math.max(this.maxOpen, this.#open)
        setTimeout(() => {
          this.#open--
          res.writeHead(behaviour.status)
          res.end()
        }, behaviour.ms)
        return
      case 'big': {
        res.writeHead(200, { 'content-type': 'text/plain' })
        const chunk = Buffer.alloc(64 * 1024, 'x')
        let left = behaviour.bytes
        const write = () => {
          while (left > 0) {
            left -= chunk.length
            if (!res.write(chunk)) {
              res.once('drain', write)
              return
            }
          }
          res.end()
        }
        res.on('error', () => {})
        write()
        return
      }
    }
  }

  #wake(): void {
    const ready = this.#waiters.filter((w) => this.received.length >= w.count)
    this.#waiters = this.#waiters.filter((w) => this.received.length < w.count)
    for (const w of ready) w.resolve()
  }
}
