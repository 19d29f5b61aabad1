/**
 * Publishes one event to every subscription of tenant `acme` in the SQLite file `argv[2]`, prints
 * its id, and kills its own process with SIGKILL at once: the publish has answered, its
 * deliveries may still be queued (fan-outs-sql.ts).
 */
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import { makeEvent } from '../store/conformance/builders.ts'

const store = await openSqliteStore({ path: process.argv[2]! })
const event = makeEvent({ at: Date.now() })
const published = await store.publishEvent(event)
process.stdout.write(`${event.id} ${published.deliveries}\n`, () =>
  process.kill(process.pid, 'SIGKILL'),
)
