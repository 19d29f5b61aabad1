// The library end to end in one process (`node --experimental-strip-types examples/quickstart.ts`):
// a local receiver verifies every signature and fails one event twice; Hookrelay retries it and
// records every attempt. Then a table shows it all.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHookrelay } from '../src/index.ts'
import { verifyStandard } from '../src/receiver/index.ts'

let secret = ''
let refusals = 0
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    verifyStandard({ secret, headers: req.headers, body }) // throws on a bad signature
    const event = JSON.parse(body) as { type: string; data: { id?: number } }
    // The receiver is "down" for order 3 twice, so Hookrelay has to retry it.
    if (event.data.id === 3 && refusals < 2) {
      refusals++
      res.writeHead(503).end('busy, try again')
      return
    }
    res.writeHead(200).end('thanks')
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`

const hooks = await createHookrelay({
  database: ':memory:',
  allowPrivateNetworks: ['127.0.0.0/8'], // the receiver is on this machine
  retrySchedule: [500, 1_000, 2_000], // quick retries for the demo
  logger: { debug() {}, info() {}, warn() {}, error() {} },
})

const sub = await hooks.subscriptions.create({
  tenant: 'acme',
  name: 'Orders and contacts',
  events: ['order.*', 'contact.updated'],
  config: { url },
})
secret = sub.config.secret
console.log(`Subscribed ${sub.id} to ${sub.events.join(', ')} at ${url}\n`)

for (const id of [1, 2, 3]) {
  await hooks.publish({ tenant: 'acme', type: 'order.created', data: { id, total: id * 10 } })
}
await hooks.entityChanged({
  tenant: 'acme',
  entity: 'contact',
  id: 7,
  action: 'updated',
  changes: ['name'],
  fieldValues: { name: 'Ada' },
  actor: 'user_12',
})

// Wait until every delivery is done, retries included (they are due within a few seconds).
for (;;) {
  await hooks.drain()
  const pending = await hooks.subscriptions.deliveries(sub.id, { status: 'pending' })
  if (pending.data.length === 0) break
  await new Promise((resolve) => setTimeout(resolve, 250))
}

const rows: Record<string, string | number>[] = []
const events = await hooks.events.list({ tenant: 'acme' })
for (const event of events.data.reverse()) {
  const detail = await hooks.events.get(event.id)
  for (const delivery of detail.deliveries) {
    for (const attempt of detail.attempts.filter((a) => a.deliveryId === delivery.id)) {
      rows.push({
        event: event.type,
        data: JSON.stringify(event.data).slice(0, 28),
        'delivery (final)': delivery.status,
        attempt: attempt.startedAt.slice(11, 23),
        status: attempt.statusCode ?? '-',
        ms: attempt.durationMs,
        response: attempt.responseBody,
      })
    }
  }
}
console.table(rows)
console.log('\nEvery attempt above was signed (Standard Webhooks) and verified by the receiver.')

await hooks.close()
receiver.close()
