import type { Command } from 'commander'
import { CliError } from '../cli-error.ts'
import { wholeNumberFlag } from '../flag-values.ts'

/** The flags of `hookrelay bench` as commander parsed them. */
interface BenchFlags {
  events?: string
  rounds?: string
  json?: boolean
}

/** Default `--events`: about ten seconds in all on a 2-core machine with the default rounds. */
const defaultEvents = 10_000
const defaultRounds = 3

/**
 * Adds `hookrelay bench`: deliveries per second of the embedded engine on a SQLite file (every
 * attempt recorded) beside the ceiling (sign and POST with undici, nothing stored), both sending
 * to one local receiver in its own process.
 */
export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'Measure this machine: deliveries/s on SQLite, every attempt recorded, against the ' +
        'ceiling of signing and POSTing with nothing stored.',
    )
    .option(
      '--events <n>',
      `deliveries timed per row and round, at least 8 (default ${defaultEvents.toLocaleString('en-US')})`,
    )
    .option('--rounds <n>', `rounds; the median one is shown (default ${defaultRounds})`)
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
Example:
  hookrelay bench --rounds 5
  hookrelay bench --events 2000 --rounds 1 --json

The target is Hookrelay at 75% or more of the ceiling. The machine's other load moves the
numbers: compare the ratio, measured in the same run, rather than the rates.`,
    )
    .action(async (flags: BenchFlags) => {
      const events = wholeNumberFlag(flags.events, '--events', defaultEvents, 8, 10_000_000)
      const rounds = wholeNumberFlag(flags.rounds, '--rounds', defaultRounds, 1, 99)
      // Loaded here, so `--help` and the other commands never load the engine and undici.
      const { benchHeading, benchJson, formatBenchReport, runBench } =
        await import('../bench-run.ts')
      if (!flags.json) process.stdout.write(benchHeading({ events, rounds }))
      const progress = process.stderr.isTTY ? terminalProgress(rounds) : {}
      const report = await runBench({ events, rounds }, progress)
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
      process.stdout.write(
        flags.json ? `${JSON.stringify(benchJson(report))}\n` : formatBenchReport(report),
      )
      if (report.problems.length > 0) {
        throw new CliError(`the measurement is not valid: ${report.problems.join('; ')}`)
      }
    })
}

/** Progress on a terminal's stderr: the part now running, then one line per round played. */
function terminalProgress(rounds: number) {
  const started = performance.now()
  const seconds = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
  return {
    starting(round: number, part: 'ceiling' | 'hookrelay') {
      const what = part === 'ceiling' ? 'the ceiling (undici, no storage)' : 'hookrelay on SQLite'
      process.stderr.write(`\r\x1b[Kround ${round}/${rounds}: measuring ${what}… ${seconds()}`)
    },
    played(round: number, result: { rate: number; ratio: number; ceiling: { rate: number } }) {
      const rate = (n: number) => Math.round(n).toLocaleString('en-US')
      process.stderr.write(
        `\r\x1b[Kround ${round}/${rounds}: ceiling ${rate(result.ceiling.rate)}/s, ` +
          `hookrelay ${rate(result.rate)}/s (${(result.ratio * 100).toFixed(1)}%)\n`,
      )
    },
  }
}
