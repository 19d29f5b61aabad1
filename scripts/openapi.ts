/**
 * Writes `docs/openapi.json`: the OpenAPI document the server generates from its route schemas.
 * `npm run openapi` after changing a route; a test fails while the copy differs.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../src/core/logger.ts'
import { createHookrelay } from '../src/index.ts'
import { buildServer } from '../src/server/app.ts'

/** Where the committed copy lives. */
export const documentFile = new URL('../docs/openapi.json', import.meta.url)

/** The document as the server serves it at `/openapi.json`, as formatted JSON text. */
export async function openApiText(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  const hooks = await createHookrelay({ database: ':memory:', worker: false, logger: silentLogger })
  try {
    const app = await buildServer({ hooks, version: pkg.version as string })
    await app.ready()
    const text = `${JSON.stringify(app.swagger(), null, 2)}\n`
    await app.close()
    return text
  } finally {
    await hooks.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(documentFile, await openApiText())
  console.log(`wrote ${fileURLToPath(documentFile)}`)
}
