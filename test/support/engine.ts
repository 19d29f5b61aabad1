import { after, afterEach, before, beforeEach } from 'node:test'
import { silentLogger } from '../../src/core/logger.ts'
import { createHookrelay, type Hookrelay, type HookrelayOptions } from '../../src/index.ts'
import { TestReceiver } from './receiver.ts'

/** A clock a test moves by hand. */
export interface TestClock {
  now: number
  advance(ms: number): void
}

/** A clock starting at a fixed time; `advance` moves it. */
export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  const clock = {
    now: start,
    advance(ms: number) {
      clock.now += ms
    },
  }
  return clock
}

/**
 * An engine on SQLite `:memory:` for tests: loopback allowed, no jitter, a hand-moved clock, no
 * background worker (tests drive it with `drain()`), silent logs. With
 * `HOOKRELAY_TEST_STORE=postgres` (see `test/postgres/suites.test.ts`) it is on PostgreSQL
 * instead, in a fresh schema dropped when the engine closes.
 */
export async function testHooks(
  options: HookrelayOptions = {},
): Promise<{ hooks: Hookrelay; clock: TestClock }> {
  const clock = testClock()
  const postgres = process.env.HOOKRELAY_TEST_STORE === 'postgres' ? await freshSchema() : null
  const hooks = await createHookrelay({
    database: postgres?.database ?? ':memory:',
    allowPrivateNetworks: ['127.0.0.0/8'],
    jitter: 0,
    worker: false,
    logger: silentLogger,
    now: () => clock.now,
    ...options,
  })
  if (postgres !== null) {
    const close = hooks.close.bind(hooks)
    hooks.close = async (closeOptions) => {
      await close(closeOptions)
      await postgres.drop()
    }
  }
  return { hooks, clock }
}

/** A fresh schema on `HOOKRELAY_TEST_PG`: its database URL, and a function that drops it. */
async function freshSchema(): Promise<{ database: string; drop: () => Promise<void> }> {
  const url = process.env.HOOKRELAY_TEST_PG
  if (url === undefined || url === '')
    throw new Error('HOOKRELAY_TEST_STORE=postgres needs HOOKRELAY_TEST_PG')
  const { randomBytes } = await import('node:crypto')
  const { default: pg } = await import('pg')
  const schema = `hr_t_${randomBytes(6).toString('hex')}`
  const database = new URL(url)
  database.searchParams.set('schema', schema)
  let dropped = false
  return {
    database: database.toString(),
    drop: async () => {
      if (dropped) return
      dropped = true
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      } finally {
        await client.end()
      }
    },
  }
}

/** The entity change of DESIGN.md's example: exactly the `data` its event carries. */
export const contactChange = {
  entity: 'contact',
  id: 7,
  action: 'updated',
  changes: ['name'],
  fieldValues: { name: 'Ada' },
  actor: 'user_12',
}

/** What `useEngine` keeps current for each test. */
export interface EngineFixture {
  receiver: TestReceiver
  hooks: Hookrelay
  clock: TestClock
  /** Replaces this test's engine with one made with other options. */
  reopen(options?: HookrelayOptions): Promise<void>
}

/**
 * Registers the hooks of a test file that talks to a real receiver: one receiver for the file, a
 * fresh engine (see `testHooks`) and an empty request log for each test.
 */
export function useEngine(options: HookrelayOptions = {}): EngineFixture {
  const fixture = {
    reopen: async (more: HookrelayOptions = {}) => {
      await fixture.hooks.close()
      Object.assign(fixture, await testHooks({ ...options, ...more }))
    },
  } as EngineFixture
  before(async () => {
    fixture.receiver = await TestReceiver.start()
  })
  after(() => fixture.receiver.close())
  beforeEach(async () => {
    Object.assign(fixture, await testHooks(options))
    fixture.receiver.received.length = 0
  })
  afterEach(() => fixture.hooks.close())
  return fixture
}

/** `count` subscriptions of tenant `acme` to `order.*`, at `base`/0, 1, 2 … */
export async function subscribeReceivers(hooks: Hookrelay, base: string, count: number) {
  for (let i = 0; i < count; i++) {
    await hooks.subscriptions.create({
      tenant: 'acme',
      name: `fan ${i}`,
      events: ['order.*'],
      config: { url: `${base}/${i}` },
    })
  }
}
