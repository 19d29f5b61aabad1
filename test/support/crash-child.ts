// A process that publishes one event and starts delivering it; the crash test kills it mid-attempt.

import { silentLogger } from '../../src/core/logger.ts'
import { createHookrelay } from '../../src/index.ts'

const [database, url] = process.argv.slice(2)
const hooks = await createHookrelay({
  database: database!,
  allowPrivateNetworks: ['127.0.0.0/8'],
  logger: silentLogger,
})
await hooks.subscriptions.create({ name: 'crash', events: ['order.*'], config: { url: url! } })
const event = await hooks.publish({ type: 'order.created', data: { id: 1 } })
process.stdout.write(`${event.id}\n`)
