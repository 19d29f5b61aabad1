/**
 * `npm run chaos`: Hookrelay's reliability promises, tried against real processes and printed as
 * one table — kill -9 loops on both stores, PostgreSQL connections terminated mid-load, SIGTERM
 * with attempts in flight, hostile receivers, SSRF inside a network namespace of its own, and
 * every REST route fuzzed from the OpenAPI document. Exits 1 when anything acknowledged was lost,
 * a private address was reached, a request was answered 5xx, or a scenario could not run.
 *
 * Flags: `--quick` is the short form CI runs (under a minute); `--only <name>` (repeatable, or
 * comma-separated) runs just those scenarios. PostgreSQL: `HOOKRELAY_CHAOS_PG`, else
 * `HOOKRELAY_TEST_PG`; each scenario makes its own schema and drops it. Without a URL the
 * PostgreSQL rows fail, saying so.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killLiveChildren } from '../test/cli/serve-process.ts'
import { hostileReceivers } from './hostile-receivers.ts'
import { type ChaosContext, type ChaosRow, formatChaosTable, type Scenario } from './scenario.ts'
import { sigterm } from './sigterm.ts'
import { ssrf } from './ssrf.ts'

const scenarios: Scenario[] = [sigterm, hostileReceivers, ssrf]

const quick = process.argv.includes('--quick')
const only = process.argv.flatMap((arg, i) =>
  process.argv[i - 1] === '--only'
    ? arg.split(',')
    : arg.startsWith('--only=')
      ? arg.slice(7).split(',')
      : [],
)
for (const name of only) {
  if (!scenarios.some((s) => s.name === name)) {
    console.error(
      `chaos: --only takes ${scenarios.map((s) => s.name).join(', ')}; not ${JSON.stringify(name)}`,
    )
    process.exit(2)
  }
}
const chosen = only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.name))
const postgresUrl = process.env.HOOKRELAY_CHAOS_PG ?? process.env.HOOKRELAY_TEST_PG ?? null

// However the run ends (an exception, a broken pipe, Ctrl-C), no server it started outlives it.
process.on('exit', killLiveChildren)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => process.exit(130))
}

const started = performance.now()
const rows: ChaosRow[] = []
const root = await mkdtemp(join(tmpdir(), 'hookrelay-chaos-'))
try {
  for (const scenario of chosen) {
    const budgetMs = quick ? scenario.budget.quickMs : scenario.budget.fullMs
    const context: ChaosContext = {
      quick,
      postgresUrl,
      deadline: Date.now() + budgetMs,
      dir: join(root, scenario.name),
      progress: (line) => process.stderr.write(`chaos ${scenario.name}: ${line}\n`),
    }
    const reason = scenario.cannotRun?.(context) ?? null
    if (reason !== null) {
      rows.push({ scenario: scenario.name, store: '—', figures: [], failures: [reason] })
      continue
    }
    const t0 = performance.now()
    try {
      rows.push(...(await scenario.run(context)))
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      rows.push({ scenario: scenario.name, store: '—', figures: [], failures: [message] })
    }
    context.progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
} finally {
  await rm(root, { recursive: true, force: true })
}

const seconds = (performance.now() - started) / 1000
const failed = rows.filter((row) => row.failures.length > 0)
console.log(formatChaosTable(rows))
console.log(
  `\n${quick ? 'chaos --quick' : 'chaos'}: ${rows.length} rows, ${failed.length} failed, ` +
    `${seconds.toFixed(0)} s`,
)
process.exit(failed.length === 0 && rows.length > 0 ? 0 : 1)
