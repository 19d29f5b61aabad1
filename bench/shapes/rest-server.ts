/**
 * `hookrelay serve` in its own process for the scheduling rows' REST measurements: a tenant, a
 * key, and helpers to create subscriptions and publish over HTTP with a keep-alive pool.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { benchTenant } from '../../src/bench/payload.ts'
import { sleep } from './common.ts'

export interface RestServer {
  /** Creates a subscription to `bench.*` at `url`. */
  subscribe(name: string, url: string): Promise<void>
  /** `POST /webhooks/events`; resolves to the status code once the answer has arrived. */
  publish(data: unknown): Promise<number>
  pid: number | undefined
  stop(): Promise<void>
}

/** Starts `hookrelay serve --role <role>` on `database` and sets up the bench tenant and a key. */
export async function startRestServer(database: string, role: 'all' | 'api'): Promise<RestServer> {
  const port = await freePort()
  const adminKey = `bench_${randomBytes(18).toString('base64url')}`
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--no-warnings=ExperimentalWarning',
      main,
      'serve',
      '--port',
      String(port),
      '--database',
      database,
      '--admin-key',
      adminKey,
      '--role',
      role,
      '--rate-limit',
      '0',
      '--log-level',
      'warn',
      '--allow-private',
      '127.0.0.0/8',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const origin = `http://127.0.0.1:${port}`
  const pool = new Pool(origin, { connections: 64, keepAliveTimeout: 60_000 })
  const stop = async () => {
    await pool.close()
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  try {
    await waitReady(`${origin}/readyz`, child)
    const call = async (path: string, key: string, body: unknown) => {
      const response = await pool.request({
        path,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      const text = await response.body.text()
      if (response.statusCode >= 300) throw new Error(`${path}: ${response.statusCode} ${text}`)
      return JSON.parse(text) as Record<string, unknown>
    }
    await call('/admin/tenants', adminKey, { id: benchTenant })
    const { key } = (await call(`/admin/tenants/${benchTenant}/keys`, adminKey, {
      roles: ['user', 'service'],
    })) as { key: string }
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    return {
      pid: child.pid,
      async subscribe(name, url) {
        await call('/webhooks/subscriptions', key, { name, events: ['bench.*'], config: { url } })
      },
      async publish(data) {
        const response = await pool.request({
          path: '/webhooks/events',
          method: 'POST',
          headers,
          body: JSON.stringify({ type: 'bench.event', data }),
        })
        await response.body.dump()
        return response.statusCode
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`)
    try {
      const response = await fetch(url)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error('the server did not become ready in 20 s')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
