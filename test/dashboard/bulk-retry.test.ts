import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { RunningServer } from '../../src/cli/start-server.ts'
import { poll } from '../support/http.ts'
import type { TestReceiver } from '../support/receiver.ts'
import { skip } from './browser.ts'
import { useDashboard } from './session.ts'

// The event log's "Retry failed deliveries of these events", in headless Chromium.
type Deliveries = { data: { eventType: string; status: string }[] }

describe('the event log bulk retry, in headless Chromium', { skip }, () => {
  const session = useDashboard()
  const { api, main } = session
  const { pageErrors } = session
  let receiver: TestReceiver
  let server: RunningServer
  let page: Page
  let key = ''
  let subscription = ''

  const deliveries = (): Promise<Deliveries> =>
    api(key, 'GET', `/webhooks/subscriptions/${subscription}/deliveries`)
  const statusesOf = (page: Deliveries, type: string) =>
    page.data.filter((d) => d.eventType === type).map((d) => d.status)
  const numbersReceived = () => receiver.at('/shop').map((r) => JSON.parse(r.body).data.n)
  const retryButton = () =>
    main().getByRole('button', { name: 'Retry failed deliveries of these events' })

  before(async () => {
    ;({ receiver, server, page, tenantKey: key } = session)
    receiver.always('/shop', { kind: 'status', status: 500, body: 'database is down' })
    // Its own schedule: no retry within the test, so only the bulk retry can send again.
    subscription = (
      await api(key, 'POST', '/webhooks/subscriptions', {
        name: 'Shop',
        events: ['cart.*'],
        config: { url: `${receiver.url}/shop` },
        retrySchedule: [3_600_000],
      })
    ).id
  })

  it('retries, after a confirmation, exactly the failed deliveries of the filtered events', async () => {
    for (const [type, n] of [
      ['cart.created', 1],
      ['cart.paid', 2],
      ['cart.created', 3],
    ] as const) {
      await api(key, 'POST', '/webhooks/events', { type, data: { n } })
    }
    const failing = await poll(deliveries, (p) => p.data.every((d) => d.status === 'retrying'))
    assert.deepEqual(failing.data.map((d) => d.status).sort(), ['retrying', 'retrying', 'retrying'])
    receiver.always('/shop', { kind: 'status', status: 200 })

    await page.goto(server.url)
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('link', { name: 'Events', exact: true }).click()
    await main().locator('tbody tr').nth(2).waitFor()
    // Unfiltered, the whole log: no bulk retry offered.
    assert.equal(await retryButton().count(), 0)

    await page.getByLabel('Type').fill('cart.created')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/#\/events\?type=cart.created$/)
    await retryButton().click()
    const dialog = page.getByRole('dialog', { name: 'Retry failed deliveries?' })
    assert.match(await dialog.innerText(), /Every failed delivery, including those waiting/)
    await dialog.getByRole('button', { name: 'Retry now' }).click()
    const result = main().locator('.bulk-retry p')
    await result.filter({ hasText: '2 deliveries queued, sending now.' }).waitFor()
    assert.equal(await result.getAttribute('aria-live'), 'polite')

    const after = await poll(deliveries, (p) =>
      statusesOf(p, 'cart.created').every((s) => s === 'succeeded'),
    )
    assert.deepEqual(statusesOf(after, 'cart.created'), ['succeeded', 'succeeded'])
    assert.deepEqual(statusesOf(after, 'cart.paid'), ['retrying'])
    assert.deepEqual(numbersReceived().slice(3).sort(), [1, 3])

    // Again: nothing of these events is failing now.
    await retryButton().click()
    await dialog.getByRole('button', { name: 'Retry now' }).click()
    await result.filter({ hasText: 'Nothing to retry' }).waitFor()
  })

  it('offers no bulk retry for an outcome that cannot be retried', async () => {
    await page.getByLabel('Outcome').selectOption('succeeded')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/status=succeeded/)
    await main().locator('tbody tr').first().waitFor()
    assert.equal(await retryButton().count(), 0)
    assert.deepEqual(pageErrors, [])
  })
})
