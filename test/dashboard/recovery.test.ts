import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { TestReceiver } from '../support/receiver.ts'
import { shoot, skip } from './browser.ts'
import { useDashboard } from './session.ts'

// A receiver that breaks and is fixed, as a person sees it: in red at once, then recovered.
describe(
  'recovering from a broken receiver in the dashboard, in headless Chromium',
  { skip },
  () => {
    const session = useDashboard()
    const { api, publish, waitForDeliveries, visit, main, heading } = session
    const { pageErrors } = session
    let receiver: TestReceiver
    let page: Page
    let tenantKey = ''
    before(() => ({ receiver, page, tenantKey } = session))
    before(() => session.signIn())

    it('enables a disabled subscription and recovers what failed while it was off', async () => {
      receiver.queue('/warehouse', { kind: 'status', status: 410, body: 'gone' })
      const warehouse = await api(tenantKey, 'POST', '/webhooks/subscriptions', {
        name: 'Warehouse',
        events: ['stock.*'],
        config: { url: `${receiver.url}/warehouse` },
      })
      const id = await publish('stock.changed', { sku: 'A-1' })
      await waitForDeliveries(id, 1, 'failed')
      await visit(`#/subscriptions/${warehouse.id}`)
      await main().locator('.page-header .badge', { hasText: 'disabled' }).waitFor()
      await main().getByText('Fix the receiver, then Enable it').waitFor()
      await main().getByRole('button', { name: 'Enable' }).click()
      await main().locator('.page-header .badge', { hasText: 'active' }).waitFor()
      // The time defaults to 24 hours ago.
      await main().getByRole('button', { name: 'Recover', exact: true }).click()
      await main().getByText('1 delivery queued, sending now.').waitFor()
      await waitForDeliveries(id, 2, 'succeeded')
      await api(tenantKey, 'DELETE', `/webhooks/subscriptions/${warehouse.id}`)
    })

    it('shows a receiver that breaks in red at once, and recovers it in one step', async () => {
      receiver.always('/billing-down', { kind: 'status', status: 500, body: 'database is down' })
      const billing = await api(tenantKey, 'POST', '/webhooks/subscriptions', {
        name: 'Billing',
        events: ['payment.*'],
        config: { url: `${receiver.url}/billing-down` },
      })
      const id = await publish('payment.failed', { invoice: 'INV-7' })
      await waitForDeliveries(id, 1, 'retrying')

      // The list: first, in red, with how long and how often it has failed.
      await visit('#/subscriptions')
      const first = main().locator('tbody tr').first()
      await first.getByRole('link', { name: 'Billing' }).waitFor()
      assert.equal(await first.getAttribute('class'), 'row-bad')
      assert.match(
        await first.innerText(),
        /failing for .* · 1 failure in a row · disables in \d d/,
      )

      // The event log's "has failed" finds it, with a red "retrying" count.
      await visit('#/events?status=failed')
      const row = main().locator('tbody tr', { hasText: 'payment.failed' })
      await row.locator('.badge-bad', { hasText: '1 retrying' }).waitFor()
      assert.equal(await main().locator('#filter-status').inputValue(), 'failed')
      await visit(`#/events/${id}`)
      await main().locator('article.delivery .badge-bad', { hasText: 'retrying' }).waitFor()
      assert.match(await main().locator('article.delivery').innerText(), /1 attempt · next /)

      // Its page says so, and Recover, after the fix, sends it again now.
      await visit(`#/subscriptions/${billing.id}`)
      await main()
        .getByRole('alert')
        .getByText(/Failing\. Failing for .* · 1 failure in a row/)
        .waitFor()
      await shoot(page, 'subscription-failing')
      receiver.always('/billing-down', { kind: 'status', status: 200 })
      await main().getByRole('button', { name: 'Recover', exact: true }).click()
      await main().getByText('1 delivery queued, sending now.').waitFor()
      await waitForDeliveries(id, 2, 'succeeded')
      const healed = await api(tenantKey, 'GET', `/webhooks/subscriptions/${billing.id}`)
      assert.equal(healed.health, 'healthy')
      await visit(`#/subscriptions/${billing.id}`)
      await heading('Billing').waitFor()
      assert.equal(await main().getByRole('alert').count(), 0)
      await api(tenantKey, 'DELETE', `/webhooks/subscriptions/${billing.id}`)
    })

    it('raised no script errors and no Content-Security-Policy violations', () => {
      assert.deepEqual(pageErrors, [])
    })
  },
)
