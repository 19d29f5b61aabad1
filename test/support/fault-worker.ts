// A delivery-only process for the fault tests: what `hookrelay serve --role worker` runs, with the
// lease, timeout and poll interval short enough that a killed worker's claims come due again in
// seconds (the CLI keeps the 30 s defaults). Arguments: the database URL and a name, sent in the
// user-agent so the receiver can tell the workers apart. Prints `ready` once delivering.

import { pino } from 'pino'
import { createHookrelay } from '../../src/index.ts'

const [database, name] = process.argv.slice(2)
const hooks = await createHookrelay({
  database: database!,
  allowPrivateNetworks: ['127.0.0.0/8'],
  leaseMs: 2_000,
  timeoutMs: 1_000,
  pollIntervalMs: 100,
  userAgent: `hookrelay-fault-worker/${name!}`,
  logger: pino({ level: 'warn' }, pino.destination(2)),
})
process.on('SIGTERM', () => {
  void hooks.close().then(() => process.exit(0))
})
process.stdout.write('ready\n')
