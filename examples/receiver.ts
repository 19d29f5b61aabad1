// A tiny webhook receiver to try `hookrelay serve` with: it checks each delivery's Standard
// Webhooks signature and prints one line per delivery.
//
//   node --experimental-strip-types examples/receiver.ts <secret> [port=9000]
//
// It listens on http://127.0.0.1:<port>/ (any path) and answers 204, or 401 on a bad signature.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verify, WebhookVerificationError } from '../src/receiver/index.ts'

const [secret, portArgument = '9000'] = process.argv.slice(2)
const port = /^\d{1,5}$/.test(portArgument) ? Number(portArgument) : Number.NaN
if (secret === undefined || secret === '' || !(port <= 65_535)) {
  process.stderr.write('usage: examples/receiver.ts <secret> [port=9000]\n')
  process.exit(2)
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end()
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const id = req.headers['webhook-id'] ?? '(no webhook-id)'
    let type = '(unknown type)'
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown }
      if (typeof parsed.type === 'string') type = parsed.type
    } catch {}
    try {
      // The raw bytes, not re-serialized JSON: the signature covers exactly what was sent.
      verify('standard', { secret, headers: req.headers, body })
      console.log(`${type} ${String(id)} signature ok`)
      res.writeHead(204).end()
    } catch (err) {
      const bad = err instanceof WebhookVerificationError
      const why = bad ? `${err.message} (${err.code})` : String(err)
      console.log(`${type} ${String(id)} rejected: ${why}`)
      res.writeHead(bad ? 401 : 500).end()
    }
  })
})

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address() as AddressInfo
  console.log(`Receiving webhooks on http://127.0.0.1:${actual}/webhooks (Ctrl-C to stop)`)
})
