import { existsSync } from 'node:fs'
import { type Browser, chromium, type Page } from 'playwright-core'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Why the browser tests are skipped (no Chromium here), or false when they run. */
export const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath}: install it with \`apt-get install -y chromium\`, ` +
    'or set CHROMIUM_PATH to a Chromium or Chrome binary'

/** Whether this run saves screenshots (`npm run screenshots`). */
export const screenshots = process.env.HOOKRELAY_SCREENSHOTS === '1'

/** Headless Chromium as DEVELOPERS.md says: Debian's, never a downloaded one. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  })
}

/** With HOOKRELAY_SCREENSHOTS=1 (`npm run screenshots`), saves the page to docs/screenshots/. */
export async function shoot(page: Page, name: string): Promise<void> {
  if (!screenshots) return
  // Toasts would only hide content.
  await page.locator('#toasts').evaluate((el) => el.replaceChildren())
  const path = new URL(`../../docs/screenshots/${name}.png`, import.meta.url).pathname
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
}
