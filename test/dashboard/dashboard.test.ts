import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { RunningServer } from '../../src/cli/start-server.ts'
import { adminKey } from '../cli/cli-server.ts'
import type { TestReceiver } from '../support/receiver.ts'
import { shoot, skip } from './browser.ts'
import { useDashboard } from './session.ts'

describe('the dashboard, in headless Chromium', { skip }, () => {
  const session = useDashboard()
  const { api, publish, waitForDeliveries, visit, main, heading, noHorizontalScroll } = session
  const { pageErrors } = session
  let receiver: TestReceiver
  let server: RunningServer
  let page: Page
  let tenantKey = ''
  before(() => ({ receiver, server, page, tenantKey } = session))
  let firstEvent = ''

  it('signs in with a tenant key, after refusing a wrong one', async () => {
    await page.goto(server.url)
    await heading('Sign in').waitFor()
    await shoot(page, 'sign-in')
    await page.getByLabel('API key').fill('hr_not_a_real_key_at_all')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('[data-field="key"] .field-error', { hasText: 'not valid' }).waitFor()

    await page.getByLabel('API key').fill(tenantKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await heading('Subscriptions').waitFor()
    await main().getByText('No subscriptions yet').waitFor()
    assert.match(await main().locator('pre').innerText(), /curl .*\/webhooks\/subscriptions/)
    assert.match(await page.locator('.tenant').innerText(), /acme/)
  })

  it('creates a subscription through the form, saying in plain words beside every field what to fix', async () => {
    await page.getByRole('button', { name: 'New subscription' }).click()
    const dialog = page.getByRole('dialog', { name: 'New subscription' })
    const errorOf = (field: string) => dialog.locator(`[data-field="${field}"] .field-error`)
    await dialog.getByLabel('Endpoint URL').fill('example.com/hook')
    await dialog.getByText('Signature, payload, headers and rate limit').click()
    await dialog.getByLabel('Rate limit').fill('0')
    await dialog.getByRole('button', { name: 'Create subscription' }).click()
    // One answer marks every invalid field at once.
    await errorOf('rateLimit').waitFor()
    assert.equal(await errorOf('name').innerText(), 'Give the subscription a name.')
    assert.equal(
      await errorOf('config.url').innerText(),
      'The URL must start with https:// or http://.',
    )
    assert.equal(await errorOf('events').innerText(), 'Pick at least one event.')
    assert.match(await errorOf('rateLimit').innerText(), /^Rate limit must be at least 0.001 /)
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true')
    assert.equal(await dialog.getByLabel('Events').getAttribute('aria-invalid'), 'true')
    assert.equal(await page.locator(':focus').getAttribute('name'), 'name')

    await dialog.getByLabel('Name').fill('Orders')
    await dialog.getByLabel('Endpoint URL').fill('ftp://example.com/hook')
    await dialog.getByLabel('Events').fill('order.*, order.**')
    await dialog.getByLabel('Rate limit').fill('')
    await dialog.getByRole('button', { name: 'Create subscription' }).click()
    await errorOf('events').filter({ hasText: '“order.**” is not an event name' }).waitFor()
    assert.equal(
      await errorOf('config.url').innerText(),
      'The URL must start with https:// or http://.',
    )
    assert.ok(await errorOf('name').isHidden())
    assert.ok(await errorOf('rateLimit').isHidden())
    // Focus goes to the first field to fix as the form reads, whatever order the API listed.
    assert.equal(await page.locator(':focus').getAttribute('name'), 'config.url')
    await shoot(page, 'subscription-form')
    // The message is tied to its field for screen readers.
    const describedBy = await dialog.getByLabel('Endpoint URL').getAttribute('aria-describedby')
    assert.ok(describedBy?.includes((await errorOf('config.url').getAttribute('id'))!))

    // Past the schema the library's own checks answer, their words tidied.
    await dialog.getByLabel('Events').fill('order.*')
    await dialog.getByLabel('Endpoint URL').fill(`${receiver.url}/orders`)
    await dialog.getByLabel('Custom headers').fill('Content-Type: text/plain')
    await dialog.getByRole('button', { name: 'Create subscription' }).click()
    await errorOf('headers')
      .filter({ hasText: 'Content-Type is set by Hookrelay itself.' })
      .waitFor()
    assert.ok(await errorOf('events').isHidden())
    await dialog.getByLabel('Custom headers').fill('')
    await dialog.getByLabel('Endpoint URL').fill(`${receiver.url}/orders`)
    await dialog.getByRole('button', { name: 'Create subscription' }).click()
    await heading('Orders').waitFor()
    assert.equal(await dialog.count(), 0)
    await main().locator('.page-header .badge', { hasText: 'active' }).waitFor()
    await main().getByText(`${receiver.url}/orders`).first().waitFor()
  })

  it('shows a published event in the log, and its delivery with the request and response', async () => {
    const id = await publish('order.created', { id: 1, total: 42.5 })
    firstEvent = id
    await waitForDeliveries(id, 1, 'succeeded')
    await page.getByRole('link', { name: 'Events', exact: true }).click()
    await heading('Events').waitFor()
    const row = main().locator('tbody tr', { hasText: id })
    await row.getByText('1 succeeded').waitFor()
    await row.getByRole('link', { name: 'order.created' }).click()

    await heading('order.created').waitFor()
    assert.match(await main().locator('.code pre').first().innerText(), /"total": 42.5/)
    const delivery = main().locator('article.delivery')
    await delivery.locator('h3 .badge', { hasText: 'succeeded' }).waitFor()
    const attempt = delivery.locator('details.attempt').first()
    assert.match(await attempt.locator('summary').innerText(), /200/)
    const response = attempt.locator('table', { hasText: 'Response headers' })
    assert.match(await response.innerText(), /x-receiver\s+orders-service/)
    const request = attempt.locator('table', { hasText: 'Request headers' })
    assert.match(await request.innerText(), /webhook-signature\s+v1,/)
    assert.match(await attempt.locator('pre').innerText(), /"ok": true/)
  })

  it('shows a failed attempt, then "Retry now" adds a successful manual one', async () => {
    receiver.queue('/orders', { kind: 'status', status: 500, body: 'receiver is down' })
    const id = await publish('order.created', { id: 2 })
    await waitForDeliveries(id, 1)
    await visit(`#/events/${id}`)
    await heading('order.created').waitFor()
    const delivery = main().locator('article.delivery')
    const failed = delivery.locator('details.attempt', { hasText: 'receiver is down' })
    assert.match(await failed.locator('summary').innerText(), /500/)

    await delivery.getByRole('button', { name: 'Retry now' }).click()
    const manual = delivery.locator('details.attempt', {
      has: page.locator('.chip', { hasText: 'manual' }),
    })
    await manual.waitFor()
    assert.match(await manual.locator('summary').innerText(), /200/)
    await delivery.locator('h3 .badge', { hasText: 'succeeded' }).waitFor()
    await page.getByRole('status').filter({ hasText: 'Retried: 200' }).waitFor()
  })

  it('filters the event log and pages it 50 at a time', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, i) => publish('audit.logged', { line: i })))
    await visit('#/events')
    await heading('Events').waitFor()
    const rows = main().locator('tbody tr')
    await rows.nth(49).waitFor()
    assert.equal(await rows.count(), 50)
    await main().getByRole('button', { name: 'Load more' }).click()
    await rows.nth(61).waitFor()
    assert.equal(await rows.count(), 62)
    await main().getByText('All 62 events shown.').waitFor()

    await page.getByLabel('Type').fill('order.created')
    await page.getByRole('button', { name: 'Apply' }).click()
    // The Clear link comes with the filtered page, drawn at once with its rows.
    await main().getByRole('link', { name: 'Clear', exact: true }).waitFor()
    assert.equal(await rows.count(), 2)
    assert.match(page.url(), /#\/events\?type=order.created$/)
    assert.deepEqual(
      new Set(await main().locator('tbody tr td[data-label="Type"]').allInnerTexts()),
      new Set(['order.created']),
    )
    await page.getByLabel('From').fill('2000-01-01T00:00')
    await page.getByLabel('To').fill('2000-01-02T00:00')
    await page.getByRole('button', { name: 'Apply' }).click()
    await main().getByText('No events match these filters').waitFor()
    await main().getByRole('link', { name: 'Clear filters' }).click()
    await main().getByText('Showing the first 50 events.').waitFor()
  })

  it('pauses and resumes, sends a test ping, and draws the charts', async () => {
    await page.getByRole('link', { name: 'Subscriptions', exact: true }).click()
    await main().getByRole('link', { name: 'Orders' }).click()
    await heading('Orders').waitFor()
    const state = main().locator('.page-header .badge')

    await main().getByRole('button', { name: 'Pause' }).click()
    await state.filter({ hasText: 'paused' }).waitFor()
    const { data } = await api(tenantKey, 'GET', '/webhooks/subscriptions?name=Orders')
    assert.equal(data[0].state, 'paused')
    // Focus stays on the button, now labelled for the other way.
    assert.equal(await page.locator(':focus').innerText(), 'Resume')
    await main().getByRole('button', { name: 'Resume' }).click()
    await state.filter({ hasText: 'active' }).waitFor()

    await main().getByRole('button', { name: 'Send test' }).click()
    const result = main().locator('.test-result')
    await result.getByText('Receiver answered 200').waitFor()
    assert.match(await result.locator('pre').innerText(), /\{"ok":true\}/)

    await main().locator('svg.chart').nth(1).waitFor()
    assert.match(await main().locator('svg.chart').first().innerHTML(), /rect class="bar-ok"/)
    assert.match(await main().locator('svg.chart').nth(1).innerHTML(), /path class="line line-p99"/)
    assert.ok((await main().locator('.tiles').innerText()).includes('Success rate'))
    // The bars count attempts, and say so: one delivery was retried, so attempts outnumber
    // deliveries and a chart of either could not be labelled for the other.
    const deliveries = (
      await api(tenantKey, 'GET', `/webhooks/subscriptions/${data[0].id}/deliveries`)
    ).data as { attempts: number }[]
    const attempts = deliveries.reduce((sum, d) => sum + d.attempts, 0)
    assert.ok(attempts > deliveries.length, `${attempts} attempts, ${deliveries.length} deliveries`)
    const bars = main()
      .locator('figure', { has: page.locator('svg.chart') })
      .first()
    assert.equal(await bars.locator('figcaption').innerText(), 'Attempts per minute, by outcome')
    const label = await bars.locator('svg.chart').getAttribute('aria-label')
    const counted = /^Attempts per minute: (\d+) succeeded and (\d+) failed in the window$/.exec(
      label ?? '',
    )
    assert.ok(counted, String(label))
    assert.equal(Number(counted[1]) + Number(counted[2]), attempts)
    assert.match(await bars.locator('.axes').innerHTML(), /attempts \/ min/)
    await main().locator('td[data-label="Status"] .badge').first().waitFor()

    // A closer look at the last hour: the x axis counts minutes instead of hours.
    await main().getByLabel('Window', { exact: true }).selectOption('1')
    await main()
      .locator('svg.chart .axes text', { hasText: /^\d\d:[1-5][05]$/ })
      .first()
      .waitFor()
  })

  it('reveals and rotates the secret, and edits the subscription', async () => {
    const [orders] = (await api(tenantKey, 'GET', '/webhooks/subscriptions?name=Orders')).data
    await visit(`#/subscriptions/${orders.id}`)
    const secret = main().locator('.secret')
    assert.match(await secret.innerText(), /••••/)
    await main().getByRole('button', { name: 'Reveal' }).click()
    await secret.filter({ hasText: /^whsec_[A-Za-z0-9+/=]{40,}$/ }).waitFor()
    const first = await secret.innerText()
    await main().getByRole('button', { name: 'Rotate' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click()
    await secret.filter({ hasNotText: first, hasText: /^whsec_[A-Za-z0-9+/=]{40,}$/ }).waitFor()

    await main().getByRole('button', { name: 'Edit' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit Orders' })
    const events = dialog.getByLabel('Events', { exact: true })
    assert.equal(await events.inputValue(), 'order.*')
    // Every type seen so far is offered: registered, or only published (audit.logged).
    const picker = dialog.getByRole('group', { name: 'Or pick from the event types seen so far' })
    const audit = picker.getByRole('checkbox', { name: 'audit.logged' })
    await audit.waitFor()
    const auditLabel = picker.locator('label', { hasText: 'audit.logged' })
    assert.match(await auditLabel.innerText(), /seen, no schema/)
    assert.match(await picker.innerText(), /order\.cancelled/)
    await audit.check()
    assert.equal(await events.inputValue(), 'order.*, audit.logged')
    await audit.uncheck()
    assert.equal(await events.inputValue(), 'order.*')
    // Typing a type ticks its box; a pattern stays in the field.
    await events.fill('order.*, order.created')
    assert.ok(await picker.getByRole('checkbox', { name: 'order.created' }).isChecked())
    await events.fill('order.*')
    assert.ok(!(await picker.getByRole('checkbox', { name: 'order.created' }).isChecked()))
    await dialog.getByLabel('Description').fill('Orders for the warehouse team')
    await dialog.getByRole('button', { name: 'Save changes' }).click()
    await main().getByText('Orders for the warehouse team').waitFor()
    const edited = await api(tenantKey, 'GET', `/webhooks/subscriptions/${orders.id}`)
    assert.equal(edited.description, 'Orders for the warehouse team')
  })

  it('deletes a subscription only once confirmed; Escape cancels', async () => {
    const temporary = await api(tenantKey, 'POST', '/webhooks/subscriptions', {
      name: 'Temporary',
      events: ['nothing.*'],
      config: { url: `${receiver.url}/temporary` },
    })
    await visit(`#/subscriptions/${temporary.id}`)
    await heading('Temporary').waitFor()
    await main().getByRole('button', { name: 'Delete' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete Temporary?' })
    await dialog.waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    await heading('Temporary').waitFor()

    await main().getByRole('button', { name: 'Delete' }).click()
    await dialog.getByRole('button', { name: 'Delete subscription' }).click()
    await heading('Subscriptions').waitFor()
    await main().getByRole('link', { name: 'Orders' }).waitFor()
    assert.equal(await main().getByRole('link', { name: 'Temporary' }).count(), 0)
  })

  it('shows names as text, never as markup', async () => {
    const odd = await api(tenantKey, 'POST', '/webhooks/subscriptions', {
      name: '<img src=x onerror="document.title=1"><em>Billing</em>',
      events: ['invoice.*'],
      config: { url: `${receiver.url}/billing?team=<b>finance</b>` },
    })
    await visit('#/subscriptions')
    await main().getByText('<em>Billing</em>', { exact: false }).waitFor()
    assert.equal(await main().locator('img, em, b').count(), 0)
    assert.equal(await page.title(), 'Hookrelay')
    await api(tenantKey, 'DELETE', `/webhooks/subscriptions/${odd.id}`)
  })

  it('lists the event types with their schemas, and those published without one', async () => {
    await page.getByRole('link', { name: 'Event types' }).click()
    await heading('Event types').waitFor()
    const catalogue: { name: string; lastSeenAt: string | null }[] = (
      await api(tenantKey, 'GET', '/webhooks/event-types')
    ).data
    const lastSeen = new Map(catalogue.map((t) => [t.name, t.lastSeenAt]))
    const card = (name: string) =>
      main().locator('section', { has: page.locator('h2 code', { hasText: name }) })
    // The last <time> of a card is when the tenant last published the type.
    const published = (name: string) =>
      card(name)
        .locator('p', { hasText: 'Last published' })
        .locator('time')
        .last()
        .getAttribute('datetime')

    const created = card('order.created')
    assert.match(await created.locator('pre').innerText(), /"required": \[\s+"id"\s+\]/)
    assert.equal(await published('order.created'), lastSeen.get('order.created'))
    const cancelled = card('order.cancelled')
    assert.match(
      await cancelled.innerText(),
      /No schema: any data is accepted\.[\s\S]*Last published never/,
    )
    // Published but never registered: listed in order with the rest, and marked as such.
    const names = await main().locator('section h2 code').allInnerTexts()
    assert.deepEqual(
      names,
      catalogue.map((t) => t.name),
    )
    for (const name of ['audit.logged', 'order.created', 'order.cancelled']) {
      assert.ok(names.includes(name), `${name} is not in ${names.join(' ')}`)
    }
    assert.deepEqual(names, names.toSorted())
    const audit = card('audit.logged')
    assert.match(await audit.locator('h2 .badge').innerText(), /seen, no schema/)
    assert.equal(await published('audit.logged'), lastSeen.get('audit.logged'))
    assert.equal(await cancelled.locator('h2 .badge').count(), 0)
    await audit.getByRole('link', { name: 'See events' }).click()
    await main().getByRole('link', { name: 'Clear', exact: true }).waitFor()
    assert.match(page.url(), /#\/events\?type=audit.logged$/)
  })

  it('lets an admin key pick the tenant, and switch it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await heading('Sign in').waitFor()
    await page.getByLabel('API key').fill(adminKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await heading('Choose a tenant').waitFor()
    await page.getByLabel('Tenant').selectOption('globex')
    await page.getByRole('button', { name: 'Continue' }).click()
    await heading('Subscriptions').waitFor()
    await main().getByText('No subscriptions yet').waitFor()

    await page.locator('#tenant-switch').selectOption('acme')
    await main().getByRole('link', { name: 'Orders' }).waitFor()
  })

  it('fits a 390 px wide phone screen without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await visit('#/subscriptions')
    await main().getByRole('link', { name: 'Orders' }).waitFor()
    assert.ok(await noHorizontalScroll(), 'the subscriptions list scrolls sideways')

    await main().getByRole('link', { name: 'Orders' }).click()
    await main().locator('svg.chart').nth(1).waitFor()
    assert.ok(await noHorizontalScroll(), 'the subscription page scrolls sideways')
    await page.getByRole('link', { name: 'Events', exact: true }).click()
    await main().locator('tbody tr').first().waitFor()
    assert.ok(await noHorizontalScroll(), 'the event log scrolls sideways')
    await visit(`#/events/${firstEvent}`)
    await main().locator('article.delivery').first().waitFor()
    assert.ok(await noHorizontalScroll(), 'the event page scrolls sideways')
  })

  it('raised no script errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(pageErrors, [])
  })
})
