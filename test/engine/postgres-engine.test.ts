import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { silentLogger } from '../../src/core/logger.ts'
import { createHookrelay, type Hookrelay } from '../../src/index.ts'
import { TestReceiver } from '../support/receiver.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('PostgreSQL engine tests')
if (url !== null) engineTests(url)

function engineTests(url: string): void {
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  after(() => admin.end())

  describe('engines in separate roles on one PostgreSQL', () => {
    it('an idle worker delivers what another process publishes at once, without polling', async () => {
      const schema = `hr_t_${randomBytes(6).toString('hex')}`
      const database = new URL(url)
      database.searchParams.set('schema', schema)
      const common = {
        database: database.toString(),
        allowPrivateNetworks: ['127.0.0.0/8'],
        logger: silentLogger,
      }
      const receiver = await TestReceiver.start()
      const engines: Hookrelay[] = []
      try {
        const api = await createHookrelay({ ...common, worker: false })
        engines.push(api)
        // A poll a minute apart: only a notification can make it deliver within seconds.
        const worker = await createHookrelay({ ...common, pollIntervalMs: 60_000 })
        engines.push(worker)
        await api.subscriptions.create({
          tenant: 'acme',
          name: 'Orders',
          events: ['order.*'],
          config: { url: `${receiver.url}/orders` },
        })
        await api.publish({ tenant: 'acme', type: 'order.created', data: { n: 1 } })
        await receiver.waitWithin(1, 10_000)
        // The worker is idle now; the next publish must wake it.
        const second = await api.publish({ tenant: 'acme', type: 'order.paid', data: { n: 2 } })
        await receiver.waitWithin(2, 5_000)
        assert.equal(receiver.at('/orders')[1]?.headers['webhook-id'], second.id)
        assert.equal(receiver.at('/orders').length, 2, 'each event was sent once')
      } finally {
        for (const engine of engines) await engine.close()
        await receiver.close()
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      }
    })
  })
}
