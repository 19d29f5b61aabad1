import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import type { Browser, Locator, Page } from 'playwright-core'
import type { RunningServer } from '../../src/cli/start-server.ts'
// The CLI tests' `hookrelay serve` on SQLite :memory: with loopback deliveries allowed.
import { adminKey, startTestServer } from '../cli/cli-server.ts'
import { callApi } from '../support/http.ts'
import { TestReceiver } from '../support/receiver.ts'
import { launchBrowser } from './browser.ts'

/** What a dashboard test works with; the fields are set once its `before` hook has run. */
export interface DashboardSession {
  receiver: TestReceiver
  server: RunningServer
  page: Page
  /** A key of tenant `acme` with the user and service roles. */
  tenantKey: string
  /** Script errors and Content-Security-Policy violations the page reported. */
  pageErrors: string[]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields they assert on
  api(key: string, method: string, path: string, body?: unknown): Promise<any>
  publish(type: string, data: unknown): Promise<string>
  waitForDeliveries(eventId: string, attempts: number, status?: string): Promise<void>
  visit(hash: string): Promise<void>
  main(): Locator
  heading(name: string): Locator
  noHorizontalScroll(): Promise<unknown>
  /** Signs in on the sign-in page with `tenantKey`. */
  signIn(): Promise<void>
}

/**
 * Registers the hooks of a dashboard test file: a receiver, a `hookrelay serve` with tenants
 * `acme` and `globex`, two event types, and headless Chromium on one page that records script
 * errors. Returns the session, whose fields are set before the first test.
 */
export function useDashboard(): DashboardSession {
  let receiver: TestReceiver
  let server: RunningServer
  let browser: Browser
  let page: Page
  let tenantKey = ''
  const pageErrors: string[] = []

  /** Calls the REST API with `key`; fails the test on an error answer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields they assert on
  async function api(key: string, method: string, path: string, body?: unknown): Promise<any> {
    const answer = await callApi(server, key, method, path, body)
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`)
    return answer.body
  }

  const publish = async (type: string, data: unknown): Promise<string> =>
    (await api(tenantKey, 'POST', '/webhooks/events', { type, data })).id

  /**
   * Waits, polling from inside the page, until every delivery of the event has at least
   * `attempts` attempts and, when given, is in `status`.
   */
  async function waitForDeliveries(eventId: string, attempts: number, status?: string) {
    await page.waitForFunction(
      async ({ eventId, key, attempts, status }) => {
        const response = await fetch(`/webhooks/events/${eventId}`, {
          headers: { authorization: `Bearer ${key}` },
        })
        const event = (await response.json()) as {
          deliveries: { attempts: number; status: string }[]
        }
        return (
          event.deliveries.length > 0 &&
          event.deliveries.every(
            (d) => d.attempts >= attempts && (status === undefined || d.status === status),
          )
        )
      },
      { eventId, key: tenantKey, attempts, status },
      { polling: 100, timeout: 10_000 },
    )
  }

  /** Opens `hash`, drawing the page again when it is already open. */
  async function visit(hash: string) {
    const url = `${server.url}/${hash}`
    if (page.url() === url) await page.reload()
    else await page.goto(url)
  }

  const main = () => page.locator('main')
  const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true })
  // Page functions as strings: this file is type-checked without the DOM library.
  const noHorizontalScroll = () =>
    page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')

  before(async () => {
    receiver = await TestReceiver.start()
    receiver.always('/orders', {
      kind: 'status',
      status: 200,
      headers: { 'content-type': 'application/json', 'x-receiver': 'orders-service' },
      body: '{"ok":true}',
    })
    server = await startTestServer()
    await api(adminKey, 'POST', '/admin/tenants', { id: 'acme', name: 'Acme' })
    await api(adminKey, 'POST', '/admin/tenants', { id: 'globex', name: 'Globex' })
    tenantKey = (
      await api(adminKey, 'POST', '/admin/tenants/acme/keys', { roles: ['user', 'service'] })
    ).key
    await api(adminKey, 'PUT', '/webhooks/event-types/order.created', {
      description: 'A customer placed an order.',
      schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, total: { type: 'number' } },
        required: ['id'],
      },
    })
    await api(adminKey, 'PUT', '/webhooks/event-types/order.cancelled', {
      description: 'An order was cancelled before shipping.',
    })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    page.setDefaultTimeout(10_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (/Content Security Policy|Uncaught/.test(message.text())) pageErrors.push(message.text())
    })
  })

  after(async () => {
    await browser?.close()
    await server?.close()
    await receiver?.close()
  })

  const session = {
    pageErrors,
    api,
    publish,
    waitForDeliveries,
    visit,
    main,
    heading,
    noHorizontalScroll,
    signIn: async () => {
      await page.goto(server.url)
      await page.getByLabel('API key').fill(tenantKey)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await heading('Subscriptions').waitFor()
    },
  } as DashboardSession
  before(() => Object.assign(session, { receiver, server, page, tenantKey }))
  return session
}
