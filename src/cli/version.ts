import { readFileSync } from 'node:fs'

/**
 * The version in Hookrelay's package.json. The file sits two folders above this one both in
 * `src/cli/` and in the built `dist/cli/`, so one relative URL serves both.
 */
export function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url)
  const manifest = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0'
}
