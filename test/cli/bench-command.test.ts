import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { benchSettings } from '../../src/cli/bench-run.ts'
import { runCli } from './serve-process.ts'

interface BenchJson {
  deliveries: number
  rows: { what: string; count: number; perSecond: number; ratio: number; target: string }[]
  ratios: number[]
  problems: string[]
}

describe('hookrelay bench', () => {
  it('measures the ceiling and the SQLite engine against a receiver process, as JSON', async () => {
    const cli = runCli(['bench', '--events', '200', '--rounds', '1', '--json'])
    assert.equal(await cli.exited, 0, cli.stderr())
    const report = JSON.parse(cli.stdout()) as BenchJson
    assert.deepEqual(report.problems, [])
    assert.equal(report.deliveries, 200)
    const [ceiling, hookrelay] = report.rows
    assert.match(ceiling!.what, /^ceiling/)
    assert.match(hookrelay!.what, /^hookrelay sqlite/)
    // Every delivery arrived and was recorded: the row counts all 200.
    assert.equal(hookrelay!.count, 200)
    assert.ok(ceiling!.perSecond > 0)
    assert.ok(hookrelay!.perSecond > 0)
    assert.ok(hookrelay!.ratio > 0)
    assert.equal(hookrelay!.target, '≥ 75% of ceiling')
    assert.equal(report.ratios.length, 1)
  })

  it('prints a table with the ratio and the target', async () => {
    const cli = runCli(['bench', '--events', '80', '--rounds', '1'])
    assert.equal(await cli.exited, 0, cli.stderr())
    assert.match(cli.stdout(), /80 deliveries per row/)
    assert.match(cli.stdout(), /per second +vs ceiling +target/)
    assert.match(
      cli.stdout(),
      /hookrelay sqlite \(every attempt recorded\) +80 .*% {2}≥ 75% of ceiling/,
    )
  })

  it('rejects an --events below one per subscription', async () => {
    const cli = runCli(['bench', '--events', '7'])
    assert.equal(await cli.exited, 1)
    assert.equal(
      cli.stderr(),
      'error: --events must be a whole number from 8 to 10000000, not "7"\n',
    )
  })

  it('sends as many deliveries through the ceiling as through Hookrelay', () => {
    const settings = benchSettings(100)
    // 100 rounds up to 13 events to each of 8 subscriptions.
    assert.equal(settings.hookrelay.events * settings.hookrelay.subscriptions, 104)
    assert.equal(settings.ceiling.count, 104)
  })
})
