import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import type { RunningServer } from '../../src/cli/start-server.ts'
import { startTestServer } from '../cli/cli-server.ts'
import { TestReceiver } from '../support/receiver.ts'
import { launchBrowser, screenshots, shoot, skip } from './browser.ts'
import { seedDemoTraffic } from './demo-traffic.ts'

describe(
  'screenshots of a day of traffic',
  {
    skip:
      skip || (!screenshots && 'set HOOKRELAY_SCREENSHOTS=1 (npm run screenshots) to save them'),
  },
  () => {
    let receiver: TestReceiver
    let server: RunningServer
    let browser: Browser
    let dir = ''
    let demoKey = ''

    before(async () => {
      receiver = await TestReceiver.start()
      dir = await mkdtemp(join(tmpdir(), 'hookrelay-demo-'))
      const database = join(dir, 'demo.db')
      const { key } = await seedDemoTraffic(database, receiver)
      server = await startTestServer(database)
      browser = await launchBrowser()
      demoKey = key
    })

    after(async () => {
      await browser?.close()
      await server?.close()
      await receiver?.close()
      if (dir !== '') await rm(dir, { recursive: true, force: true })
    })

    it('saves the main pages to docs/screenshots/', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
      const main = page.locator('main')
      await page.goto(server.url)
      await page.getByLabel('API key').fill(demoKey)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await main.getByRole('link', { name: 'Legacy CRM sync' }).waitFor()
      await main.getByText('%').first().waitFor()
      await shoot(page, 'subscriptions')

      await main.getByRole('link', { name: 'Orders' }).click()
      await main.locator('svg.chart').nth(1).waitFor()
      await shoot(page, 'subscription-detail')

      await page.getByRole('link', { name: 'Events', exact: true }).click()
      await main.locator('tbody tr').nth(49).waitFor()
      await shoot(page, 'events')

      await page.getByLabel('Outcome').selectOption('failed')
      await page.getByRole('button', { name: 'Apply' }).click()
      await main.getByRole('link', { name: 'Clear', exact: true }).waitFor()
      await main.locator('tbody tr a').first().click()
      await main.locator('article.delivery').first().waitFor()
      await main
        .locator('details.attempt')
        .first()
        .evaluate((d) => d.setAttribute('open', ''))
      await shoot(page, 'event-detail')

      await page.getByRole('link', { name: 'Event types' }).click()
      await main.getByText('A customer placed an order.').waitFor()
      await shoot(page, 'event-types')

      await page.setViewportSize({ width: 390, height: 844 })
      await page.getByRole('link', { name: 'Subscriptions', exact: true }).click()
      await main.getByRole('link', { name: 'Orders' }).waitFor()
      await shoot(page, 'subscriptions-mobile')
      await page.close()
    })
  },
)
