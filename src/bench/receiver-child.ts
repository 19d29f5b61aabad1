/**
 * The benchmark's receiver, run in its own process by `receiver-process.ts`: a keep-alive
 * node:http server on 127.0.0.1 that answers 200 with an empty body as soon as the request body
 * has arrived, and counts requests per path. Under `/unique/` it also remembers each request's
 * `webhook-id` per path and counts repeats: a delivery sent twice shows there. (Only there, so the
 * ceiling and the SQLite rounds pay nothing for it.) It talks to its parent over IPC only.
 *
 * Under `/shape/` (the scheduling rows, `bench/shapes/`) it also keeps, per path, the first and
 * last arrival and arrivals per second, and on paths with a `/lat/` segment each request's latency
 * (arrival − the `sent` time in the event's data). A `/hang/` segment makes it never answer (the
 * sender's timeout ends the request); a `/slow500/` segment answers 500 after 2 s.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ParentMessage, ReceiverMessage, ShapePathStats } from './receiver-protocol.ts'

const byPath = new Map<string, number>()
const seen = new Map<string, Set<string>>()
const duplicates = new Map<string, number>()
let total = 0

function remember(path: string, id: string): void {
  let ids = seen.get(path)
  if (ids === undefined) {
    ids = new Set()
    seen.set(path, ids)
  }
  if (ids.has(id)) duplicates.set(path, (duplicates.get(path) ?? 0) + 1)
  else ids.add(id)
}

/** Per `/shape/` path: arrivals, per-second counts and latency samples. */
interface ShapeStats {
  count: number
  firstAt: number
  lastAt: number
  perSecond: Map<number, number>
  seq: number[]
  latencyMs: number[]
}
const shapes = new Map<string, ShapeStats>()

const now = () => performance.timeOrigin + performance.now()

function shapeArrival(path: string, at: number): ShapeStats {
  let stats = shapes.get(path)
  if (stats === undefined) {
    stats = { count: 0, firstAt: at, lastAt: at, perSecond: new Map(), seq: [], latencyMs: [] }
    shapes.set(path, stats)
  }
  stats.count++
  stats.lastAt = at
  const second = Math.floor(at / 1000)
  stats.perSecond.set(second, (stats.perSecond.get(second) ?? 0) + 1)
  return stats
}

/** The shape paths' requests: statistics, then the path's behaviour. */
function shapeRequest(path: string, req: IncomingMessage, res: ServerResponse): void {
  const at = now()
  const stats = shapeArrival(path, at)
  const latency = path.includes('/lat/')
  const chunks: Buffer[] = []
  if (latency) req.on('data', (chunk: Buffer) => chunks.push(chunk))
  else req.resume()
  req.on('end', () => {
    if (latency) {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          data?: { seq?: unknown; sent?: unknown }
        }
        const sent = Number(body.data?.sent)
        if (Number.isFinite(sent)) {
          stats.seq.push(Number(body.data?.seq))
          stats.latencyMs.push(at - sent)
        }
      } catch {
        // not an event envelope: counted, no sample
      }
    }
    if (path.includes('/hang/')) return
    if (path.includes('/slow500/')) {
      setTimeout(() => {
        if (res.destroyed) return
        res.writeHead(500, { 'content-length': '0' })
        res.end()
      }, 2_000)
      return
    }
    res.writeHead(200, { 'content-length': '0' })
    res.end()
  })
}

function shapeReport(prefix: string): Record<string, ShapePathStats> {
  const paths: Record<string, ShapePathStats> = {}
  for (const [path, s] of shapes) {
    if (!path.startsWith(prefix)) continue
    paths[path] = {
      count: s.count,
      firstAt: s.firstAt,
      lastAt: s.lastAt,
      perSecond: [...s.perSecond].sort((a, b) => a[0] - b[0]),
      seq: s.seq,
      latencyMs: s.latencyMs,
    }
  }
  return paths
}

const server = createServer((req, res) => {
  total++
  const path = req.url ?? '/'
  byPath.set(path, (byPath.get(path) ?? 0) + 1)
  if (path.startsWith('/shape/')) return shapeRequest(path, req, res)
  const id = req.headers['webhook-id']
  if (path.startsWith('/unique/') && typeof id === 'string') remember(path, id)
  // Reading the body to its end keeps the connection reusable; nothing of it is kept.
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-length': '0' })
    res.end()
  })
})
// Idle gaps between phases must not close the pools' connections.
server.keepAliveTimeout = 120_000
server.headersTimeout = 121_000
server.maxRequestsPerSocket = 0

function send(message: ReceiverMessage): void {
  process.send?.(message)
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'counts': {
      const cpu = process.cpuUsage()
      send({
        type: 'counts',
        total,
        byPath: Object.fromEntries(byPath),
        duplicates: Object.fromEntries(duplicates),
        cpuMs: (cpu.user + cpu.system) / 1000,
      })
      break
    }
    case 'shape':
      send({ type: 'shape', paths: shapeReport(message.prefix) })
      break
    case 'forget':
      for (const path of [...shapes.keys()])
        if (path.startsWith(message.prefix)) shapes.delete(path)
      send({ type: 'forgotten' })
      break
    case 'stop':
      server.closeAllConnections()
      server.close(() => process.exit(0))
      break
  }
})
// The parent going away (even killed) ends the receiver too.
process.on('disconnect', () => process.exit(0))

server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port })
})
