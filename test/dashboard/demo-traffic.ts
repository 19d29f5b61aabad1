import { createHookrelay } from '../../src/index.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { TestReceiver } from '../support/receiver.ts'

/** What `seedDemoTraffic` made: a tenant key to sign in with. */
export interface DemoTenant {
  tenant: string
  key: string
}

const minute = 60_000

/**
 * Writes a day of webhook traffic into the SQLite file `database` as if it had happened: a clock
 * moved by hand from 24 hours ago to now, publishing every five minutes and delivering to
 * `receiver` — mostly fine, with an afternoon incident of 503s and slow answers, a receiver that
 * answers 410 Gone (disabled), a paused subscription, and a warehouse receiver that broke three
 * hours ago and still answers 500 (failing, its deliveries retrying). For the dashboard's screenshots: charts
 * of one minute of test traffic show nothing.
 */
export async function seedDemoTraffic(
  database: string,
  receiver: TestReceiver,
): Promise<DemoTenant> {
  const end = Date.now()
  let now = end - 24 * 60 * minute
  const hooks = await createHookrelay({
    database,
    allowPrivateNetworks: ['127.0.0.0/8'],
    worker: false,
    jitter: 0,
    retrySchedule: [5 * minute, 30 * minute],
    logger: silentLogger,
    now: () => now,
  })
  try {
    await hooks.tenants.create({ id: 'acme', name: 'Acme Inc.' })
    const { key } = await hooks.keys.create({ tenant: 'acme', roles: ['user', 'service'] })
    const subscribe = (name: string, events: string[], path: string) =>
      hooks.subscriptions.create({
        tenant: 'acme',
        name,
        events,
        config: { url: `${receiver.url}${path}` },
        description: `${name} service`,
      })
    await subscribe('Orders', ['order.*'], '/orders')
    await subscribe('Shipping', ['order.paid', 'shipment.*'], '/shipping')
    const billing = await subscribe('Billing', ['invoice.*'], '/billing')
    await subscribe('Legacy CRM sync', ['contact.*'], '/legacy')
    await subscribe('Warehouse', ['stock.*'], '/warehouse')
    receiver.always('/warehouse', { kind: 'status', status: 200 })
    receiver.always('/legacy', { kind: 'status', status: 410, body: 'this endpoint is gone' })
    await hooks.eventTypes.define({
      name: 'order.created',
      description: 'A customer placed an order.',
      schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, total: { type: 'number' } },
        required: ['id', 'total'],
      },
    })
    await hooks.eventTypes.define({ name: 'order.paid', description: 'Payment was captured.' })

    let order = 1000
    for (let step = 0; now < end; step++, now += 5 * minute) {
      const hour = new Date(now).getUTCHours()
      const incident = step >= 160 && step < 178
      for (const path of ['/orders', '/shipping']) {
        receiver.queue(
          path,
          ...Array.from({ length: 6 }, (_, i) =>
            incident && (i + step) % 3 !== 0
              ? ({ kind: 'status', status: 503, body: 'upstream timeout' } as const)
              : ({
                  kind: 'delay',
                  ms: 2 + ((i * 7 + step) % 9) * (incident ? 30 : 4),
                  status: 200,
                } as const),
          ),
        )
      }
      // Busier during the day, quieter at night.
      const orders = hour >= 7 && hour < 22 ? 3 : 1
      for (let i = 0; i < orders; i++) {
        order++
        await hooks.publish({
          tenant: 'acme',
          type: 'order.created',
          data: { id: order, total: Math.round((order % 97) * 3.7 * 100) / 100 },
        })
        if (i % 2 === 0) {
          await hooks.publish({ tenant: 'acme', type: 'order.paid', data: { id: order } })
        }
      }
      if (step % 12 === 0) {
        await hooks.publish({ tenant: 'acme', type: 'invoice.paid', data: { invoice: step } })
      }
      if (step === 40) {
        await hooks.publish({ tenant: 'acme', type: 'contact.updated', data: { id: 7 } })
      }
      if (step === 200) await hooks.subscriptions.update(billing.id, { state: 'paused' })
      if (step === 252) {
        receiver.always('/warehouse', {
          kind: 'status',
          status: 500,
          body: 'connection pool exhausted',
        })
      }
      if (step % 3 === 0) {
        await hooks.publish({ tenant: 'acme', type: 'stock.changed', data: { sku: `A-${step}` } })
      }
      await hooks.drain()
    }
    return { tenant: 'acme', key }
  } finally {
    await hooks.close()
  }
}
