import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { runShapes, type ShapeRow, type ShapeSettings } from '../../bench/shapes/index.ts'
import { cdf, lineChart } from '../../bench/shapes/svg.ts'
import { type ReceiverProcess, startReceiver } from '../../src/bench/receiver-process.ts'

// Each row end to end on SQLite at a tiny scale: structure and counts, never a timing.
const tiny: ShapeSettings = {
  oneSubscription: { events: 500, warmupEvents: 0 },
  latency: { rates: [50], seconds: 1.5, warmupSeconds: 0 },
  isolation: { rate: 50, seconds: 2 },
  backlog: { events: { sqlite: 5_000, postgres: 5_000 }, referenceEvents: 1_000 },
  fanOut: { subscriptions: 50, events: 5, referenceEvents: 200 },
}

let receiver: ReceiverProcess
let charts: string
before(async () => {
  receiver = await startReceiver()
  charts = await mkdtemp(join(tmpdir(), 'hookrelay-shapes-'))
})
after(async () => {
  await receiver.stop()
  await rm(charts, { recursive: true, force: true })
})

const run = (row: ShapeRow) =>
  runShapes({ receiver, pgUrl: null, settings: tiny, only: [row], chartsDir: charts })

const details = (report: Awaited<ReturnType<typeof run>>, row: ShapeRow) =>
  report.details[row] as Record<string, unknown>[]

it('one subscription: the receiver counts every delivery of the burst', async () => {
  const report = await run('one-subscription')
  assert.deepEqual(report.problems, [])
  assert.equal(report.rows.length, 1)
  assert.equal(report.rows[0]!.count, 500)
  assert.notEqual(report.rows[0]!.marker, 'INVALID')
  const [d] = details(report, 'one-subscription')
  const hr = d!.hookrelay as { expected: number; received: number }
  assert.equal(hr.received, hr.expected)
  assert.equal((d!.ceiling as { count: number; failed: number }).failed, 0)
})

it('latency: every event arrives with a sample, for the library and REST', async () => {
  const report = await run('latency')
  assert.deepEqual(report.problems, [])
  assert.equal(report.rows.length, 2)
  for (const d of details(report, 'latency')) {
    assert.equal(d.received, d.published)
    assert.equal((d.fromResolve as { n: number }).n, d.published)
    assert.equal((d.fromCall as { n: number }).n, d.published)
  }
  assert.deepEqual(
    details(report, 'latency').map((d) => d.mode),
    ['library', 'rest'],
  )
  const svg = await readFile(join(charts, 'latency-sqlite.svg'), 'utf8')
  assert.match(svg, /^<svg /)
})

it('isolation: the healthy receivers get every event beside a hung and a failing one', async () => {
  const report = await run('isolation')
  assert.deepEqual(report.problems, [])
  const [d] = details(report, 'isolation')
  const runs = d!.runs as { variant: string; healthyExpected: number; healthyReceived: number }[]
  assert.deepEqual(
    runs.map((r) => r.variant),
    ['healthy', 'mixed'],
  )
  for (const r of runs) {
    assert.equal(r.healthyExpected, 100 * 6)
    assert.equal(r.healthyReceived, r.healthyExpected)
  }
  assert.match(await readFile(join(charts, 'isolation-sqlite.svg'), 'utf8'), /6 healthy/)
})

it('backlog: a worker process delivers the whole backlog once, its RSS sampled', async () => {
  const report = await run('backlog')
  assert.deepEqual(report.problems, [])
  const [d] = details(report, 'backlog')
  const runs = d!.runs as { events: number; received: number; maxRssMb: number | null }[]
  assert.deepEqual(
    runs.map((r) => [r.events, r.received]),
    [
      [1_000, 1_000],
      [5_000, 5_000],
    ],
  )
  assert.ok(runs.every((r) => r.maxRssMb !== null && r.maxRssMb > 0))
  assert.match(await readFile(join(charts, 'backlog-rss-sqlite.svg'), 'utf8'), /RSS/)
  assert.match(await readFile(join(charts, 'backlog-throughput-sqlite.svg'), 'utf8'), /<path /)
})

it('fan-out: every subscription receives every event', async () => {
  const report = await run('fan-out')
  assert.deepEqual(report.problems, [])
  const [d] = details(report, 'fan-out')
  const library = d!.library as { expected: number; received: number; publish: { n: number } }
  assert.equal(library.expected, 50 * 5)
  assert.equal(library.received, library.expected)
  assert.equal(library.publish.n, 5)
  assert.equal((d!.rest as { rejected: number; publish: { n: number } }).publish.n, 5)
  assert.equal((d!.rest as { rejected: number }).rejected, 0)
  const reference = d!.reference as { expected: number; received: number }
  assert.equal(reference.received, reference.expected)
})

it('draws a chart and a CDF', () => {
  const points = cdf([3, 1, 2, 4])
  assert.deepEqual(points.at(-1), [4, 100])
  assert.equal(points[0]![0], 1)
  const svg = lineChart({
    title: 'a <title>',
    xLabel: 'x',
    yLabel: 'y',
    series: [{ name: 'one', points }],
  })
  assert.match(svg, /^<svg [^]*<\/svg>\n$/)
  assert.match(svg, /a &lt;title&gt;/)
})
