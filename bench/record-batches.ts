/**
 * How the SQLite store's write path scales with the size of an attempt batch, without HTTP: claims
 * `events × 8` deliveries and records a success for each in batches of B, on a fresh file per
 * variant. Also isolates the WAL checkpoint's share. For profiling, not part of `npm run bench`.
 * `node --experimental-strip-types --no-warnings=ExperimentalWarning bench/record-batches.ts`
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHookrelay } from '../src/index.ts'
import { openConnection } from '../src/store/sqlite/connection.ts'
import { applyMigrations } from '../src/store/sqlite/migrations.ts'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts'
import type { ClaimedDelivery } from '../src/store/store.ts'
import { benchTenant, benchType, eventData } from '../src/bench/payload.ts'
import { successRecords } from './success-records.ts'
import { timedStore } from '../src/bench/timed-store.ts'

const events = Number(process.env.BENCH_EVENTS ?? '4000')
const silent = { debug() {}, info() {}, warn() {}, error() {} }

interface Variant {
  name: string
  batch: number
  claimBatch: number
  pragmas: string[]
}

const variants: Variant[] = [
  { name: 'as the worker does now (~45/commit)', batch: 45, claimBatch: 1024, pragmas: [] },
  { name: 'batch 256', batch: 256, claimBatch: 1024, pragmas: [] },
  { name: 'batch 1024', batch: 1024, claimBatch: 1024, pragmas: [] },
  {
    name: 'batch 45, synchronous OFF (diagnosis)',
    batch: 45,
    claimBatch: 1024,
    pragmas: ['PRAGMA synchronous = OFF'],
  },
  {
    name: 'batch 45, no auto-checkpoint (diagnosis)',
    batch: 45,
    claimBatch: 1024,
    pragmas: ['PRAGMA wal_autocheckpoint = 0'],
  },
]

const dir = await mkdtemp(join(tmpdir(), 'hookrelay-record-'))
try {
  console.log(`${events * 8} deliveries per variant (${events} events × 8 subscriptions)`)
  console.log(`${'variant'.padEnd(42)} claim µs/dlv  record µs/att  commits`)
  for (const variant of variants) await run(variant)
} finally {
  await rm(dir, { recursive: true, force: true })
}

async function run(variant: Variant): Promise<void> {
  const conn = openConnection(join(dir, `${variants.indexOf(variant)}.db`), 'NORMAL')
  applyMigrations(conn.db)
  for (const pragma of variant.pragmas) conn.db.exec(pragma)
  const store = new SqliteStore(conn)
  const timed = timedStore(store)
  const hooks = await createHookrelay({
    store: timed.store,
    allowPrivateNetworks: ['127.0.0.0/8'],
    logger: silent,
    worker: false,
  })
  for (let i = 0; i < 8; i++) {
    await hooks.subscriptions.create({
      tenant: benchTenant,
      name: `s${i}`,
      events: ['bench.*'],
      config: { url: `http://127.0.0.1:9/${i}` },
    })
  }
  for (let i = 0; i < events; i++) {
    await hooks.publish({ tenant: benchTenant, type: benchType, data: eventData(i) })
  }

  const now = Date.now()
  const claimed: ClaimedDelivery[] = []
  let started = performance.now()
  for (let n = 0; ; n++) {
    const rows = await store.claimDueDeliveries({
      now,
      limit: variant.claimBatch,
      leaseMs: 60_000,
      leaseToken: `t.${n}`,
    })
    if (rows.length === 0) break
    claimed.push(...rows)
  }
  const claimMs = performance.now() - started

  const records = successRecords(claimed)
  started = performance.now()
  let commits = 0
  for (let i = 0; i < records.length; i += variant.batch) {
    await store.recordAttempts(records.slice(i, i + variant.batch))
    commits++
  }
  const recordMs = performance.now() - started
  await hooks.close()
  console.log(
    `${variant.name.padEnd(42)} ${((claimMs / claimed.length) * 1000).toFixed(1).padStart(12)}` +
      `  ${((recordMs / records.length) * 1000).toFixed(1).padStart(13)}  ${String(commits).padStart(7)}`,
  )
}
