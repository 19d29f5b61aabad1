/**
 * The benchmark's receiver, run in its own process by `receiver-process.ts`: a keep-alive
 * node:http server on 127.0.0.1 that answers 200 with an empty body as soon as the request body
 * has arrived, and counts requests per path. Under `/unique/` it also remembers each request's
 * `webhook-id` per path and counts repeats: a delivery sent twice shows there. (Only there, so the
 * ceiling and the SQLite rounds pay nothing for it.) It talks to its parent over IPC only.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ParentMessage, ReceiverMessage } from './receiver-protocol.ts'

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

const server = createServer((req, res) => {
  total++
  const path = req.url ?? '/'
  byPath.set(path, (byPath.get(path) ?? 0) + 1)
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
