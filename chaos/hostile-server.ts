import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'

/**
 * How a hostile receiver misbehaves, each the way a real broken or malicious endpoint does:
 * - `hang`: takes the request and never answers;
 * - `huge-body`: answers 200 with a 1 GiB body, made on the fly as the client reads it;
 * - `drip`: sends its answer one byte a second;
 * - `cut-off`: starts a 200 and closes the connection a tenth of the way into the body;
 * - `huge-header`: answers 200 with a 200 KB header;
 * - `gone`: answers 410 Gone;
 * - `too-many`: answers 429 with `Retry-After: 5`.
 */
export type Hostility =
  'hang' | 'huge-body' | 'drip' | 'cut-off' | 'huge-header' | 'gone' | 'too-many'

/** Every hostility, in the order the table lists them. */
export const hostilities: readonly Hostility[] = [
  'hang',
  'huge-body',
  'drip',
  'cut-off',
  'huge-header',
  'gone',
  'too-many',
]

/** One request a hostile receiver read in full. */
export interface HostileRequest {
  /** Its `webhook-id` header: the event's id. */
  eventId: string | undefined
  /** When it arrived, on the monotonic clock (ms). */
  at: number
  /** When it arrived, on the wall clock (ms since the epoch), to compare with recorded times. */
  wallAt: number
}

/** The body `huge-body` promises: 1 GiB, never held in memory (one 64 KiB chunk, sent again). */
export const hugeBodyBytes = 1024 ** 3
const chunk = Buffer.alloc(64 * 1024, 'x')
// Past every limit a sender may have for a header (Node's and undici's is 16 KiB).
const hugeHeader = `x-filler: ${'h'.repeat(200 * 1024)}\r\n`
const cutOffAfter = 100

/**
 * A raw TCP receiver that misbehaves one way (see `Hostility`). It speaks just enough HTTP/1.1 to
 * read the requests a webhook sender makes (a head and a `content-length` body, kept alive), so
 * it can do what an HTTP library would not let it: answer a byte at a time, stop half-way, send a
 * header no client accepts. It counts what it read and what it wrote, as the scenario's evidence.
 */
export class HostileServer {
  readonly hostility: Hostility
  /** Every request it read in full, in arrival order. */
  readonly requests: HostileRequest[] = []
  /** Bytes written to clients in all. */
  bytesSent = 0
  /** The most connections that were open at once. */
  maxConnections = 0
  readonly #server: Server
  readonly #sockets = new Set<Socket>()

  private constructor(hostility: Hostility) {
    this.hostility = hostility
    this.#server = createServer((socket) => this.#connected(socket))
  }

  /** Starts a receiver on 127.0.0.1 on a free port. */
  static async start(hostility: Hostility): Promise<HostileServer> {
    const server = new HostileServer(hostility)
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve))
    return server
  }

  /** Its URL, `http://127.0.0.1:PORT/<hostility>`. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo
    return `http://127.0.0.1:${port}/${this.hostility}`
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #connected(socket: Socket): void {
    this.#sockets.add(socket)
    this.maxConnections = Math.max(this.maxConnections, this.#sockets.size)
    socket.on('close', () => this.#sockets.delete(socket))
    // The sender hanging up on a hostile answer is what the scenario expects: no error.
    socket.on('error', () => {})
    let pending: Buffer = Buffer.alloc(0)
    // Once an answer that never ends has the connection, later bytes on it are not read.
    let takenOver = false
    socket.on('data', (data: Buffer) => {
      if (takenOver) return
      pending = pending.length === 0 ? data : Buffer.concat([pending, data])
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n')
        if (headEnd < 0) return
        const head = pending.subarray(0, headEnd).toString('latin1')
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
        const end = headEnd + 4 + length
        if (pending.length < end) return
        pending = pending.subarray(end)
        this.requests.push({
          eventId: /\r\nwebhook-id:\s*(\S+)/i.exec(head)?.[1],
          at: performance.now(),
          wallAt: Date.now(),
        })
        if (!this.#answer(socket)) {
          takenOver = true
          return
        }
      }
    })
  }

  /** Answers one request; false when the answer keeps the connection (it never finishes). */
  #answer(socket: Socket): boolean {
    switch (this.hostility) {
      case 'hang':
        return false
      case 'huge-body':
        this.#write(socket, `HTTP/1.1 200 OK\r\ncontent-length: ${hugeBodyBytes}\r\n\r\n`)
        this.#stream(socket, hugeBodyBytes)
        return false
      case 'drip':
        this.#drip(socket, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        return false
      case 'cut-off':
        this.#write(socket, `HTTP/1.1 200 OK\r\ncontent-length: ${10 * cutOffAfter}\r\n\r\n`)
        this.#write(socket, chunk.subarray(0, cutOffAfter))
        socket.end()
        return false
      case 'huge-header':
        this.#write(socket, `HTTP/1.1 200 OK\r\n${hugeHeader}content-length: 2\r\n\r\nok`)
        return true
      case 'gone':
        this.#write(socket, 'HTTP/1.1 410 Gone\r\ncontent-length: 0\r\n\r\n')
        return true
      case 'too-many':
        this.#write(
          socket,
          'HTTP/1.1 429 Too Many Requests\r\nretry-after: 5\r\ncontent-length: 0\r\n\r\n',
        )
        return true
    }
  }

  #write(socket: Socket, data: string | Buffer): boolean {
    if (socket.destroyed) return false
    this.bytesSent += typeof data === 'string' ? Buffer.byteLength(data) : data.length
    return socket.write(data)
  }

  /** Writes `bytes` of body as fast as the client reads it, until it has or the client hangs up. */
  #stream(socket: Socket, bytes: number): void {
    let left = bytes
    const more = () => {
      while (left > 0 && !socket.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= piece.length
        if (!this.#write(socket, piece)) {
          socket.once('drain', more)
          return
        }
      }
    }
    more()
  }

  /** Writes `answer` one byte a second, until done or the client hangs up. */
  #drip(socket: Socket, answer: string): void {
    let next = 0
    const timer = setInterval(() => {
      if (next >= answer.length || socket.destroyed) {
        clearInterval(timer)
        return
      }
      this.#write(socket, answer[next++]!)
    }, 1_000)
    socket.on('close', () => clearInterval(timer))
  }
}
