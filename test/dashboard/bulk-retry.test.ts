import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { RunningServer } from '../../src/cli/start-server.ts'
// The CLI tests' `hookrelay serve` on SQLite :memory: with loopback deliveries allowed.
import { adminKey, startTestServer } from '../cli/cli-server.ts'
import { callApi, poll } from '../support/http.ts'
import { TestReceiver } from '../support/receiver.ts'

// The event log's "Retry failed deliveries of these events", in headless Chromium as
// dashboard.test.ts drives it (its own server and browser, so the files run apart).
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath}: install it with \`apt-get install -y chromium\`, ` +
    'or set CHROMIUM_PATH to a Chromium or Chrome binary'

type Deliveries = { data: { eventType: string; status: string }[] }

describe('the event log bulk retry, in headless Chromium', { skip }, () => {
  let receiver: TestReceiver
  let server: RunningServer
  let browser: Browser
  let page: Page
  let key = ''
  let subscription = ''
  const pageErrors: string[] = []

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields they assert on
  async function api(as: string, method: string, path: string, body?: unknown): Promise<any> {
    const answer = await callApi(server, as, method, path, body)
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`)
    return answer.body
  }

  const deliveries = (): Promise<Deliveries> =>
    api(key, 'GET', `/webhooks/subscriptions/${subscription}/deliveries`)
  const statusesOf = (page: Deliveries, type: string) =>
    page.data.filter((d) => d.eventType === type).map((d) => d.status)
  const numbersReceived = () => receiver.at('/shop').map((r) => JSON.parse(r.body).data.n)
  const main = () => page.locator('main')
  const retryButton = () =>
    main().getByRole('button', { name: 'Retry failed deliveries of these events' })

  before(async () => {
    receiver = await TestReceiver.start()
    receiver.always('/shop', { kind: 'status', status: 500, body: 'database is down' })
    server = await startTestServer()
    await api(adminKey, 'POST', '/admin/tenants', { id: 'acme' })
    key = (await api(adminKey, 'POST', '/admin/tenants/acme/keys', { roles: ['user', 'service'] }))
      .key
    // Its own schedule: no retry within the test, so only the bulk retry can send again.
    subscription = (
      await api(key, 'POST', '/webhooks/subscriptions', {
        name: 'Shop',
        events: ['order.*'],
        config: { url: `${receiver.url}/shop` },
        retrySchedule: [3_600_000],
      })
    ).id
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    page.setDefaultTimeout(10_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
  })

  after(async () => {
    await browser?.close()
    await server?.close()
    await receiver?.close()
  })

  it('retries, after a confirmation, exactly the failed deliveries of the filtered events', async () => {
    for (const [type, n] of [
      ['order.created', 1],
      ['order.paid', 2],
      ['order.created', 3],
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

    await page.getByLabel('Type').fill('order.created')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/#\/events\?type=order.created$/)
    await retryButton().click()
    const dialog = page.getByRole('dialog', { name: 'Retry failed deliveries?' })
    assert.match(await dialog.innerText(), /Every failed delivery, including those waiting/)
    await dialog.getByRole('button', { name: 'Retry now' }).click()
    const result = main().locator('.bulk-retry p')
    await result.filter({ hasText: '2 deliveries queued, sending now.' }).waitFor()
    assert.equal(await result.getAttribute('aria-live'), 'polite')

    const after = await poll(deliveries, (p) =>
      statusesOf(p, 'order.created').every((s) => s === 'succeeded'),
    )
    assert.deepEqual(statusesOf(after, 'order.created'), ['succeeded', 'succeeded'])
    assert.deepEqual(statusesOf(after, 'order.paid'), ['retrying'])
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
