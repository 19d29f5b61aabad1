/**
 * What every chaos scenario shares: the settings of the run it is part of, and the rows it
 * reports. A scenario runs real processes (servers, workers, receivers, databases), counts what
 * happened at the receiver and in the store, and says what it found wrong; `run.ts` prints the
 * rows as one table and exits non-zero when any row found something wrong.
 */

/** The settings of one `npm run chaos`. */
export interface ChaosContext {
  /** `--quick`: the short form that runs in CI (the whole run under a minute). */
  quick: boolean
  /** A `postgres://` URL whose database scenarios may make schemas in, or null: SQLite only. */
  postgresUrl: string | null
  /** When this scenario must have finished (ms since the epoch, as `Date.now()`). */
  deadline: number
  /** A folder of its own for files (SQLite databases, logs); removed after the run. */
  dir: string
  /** One line of progress, on stderr: the table alone goes to stdout. */
  progress(line: string): void
}

/** One line of the table. */
export interface ChaosRow {
  scenario: string
  /** `sqlite`, `postgres`, or `—` where the store does not matter. */
  store: 'sqlite' | 'postgres' | '—'
  /** The figures, in the order they read best: `[['acknowledged', 4812], ['lost', 0]]`. */
  figures: [label: string, value: number | string][]
  /** What went wrong, one phrase each (`3 events lost`); empty when the row passed. */
  failures: string[]
}

/** A scenario of the run. */
export interface Scenario {
  /** Its name for `--only`. */
  name: string
  /** How long it may take: the whole full run stays within about 10 minutes, `--quick` within one. */
  budget: { quickMs: number; fullMs: number }
  /**
   * Why it cannot run here, or null when it can. A scenario that cannot run is a failed row: the
   * run never passes by leaving something out.
   */
  cannotRun?(context: ChaosContext): string | null
  run(context: ChaosContext): Promise<ChaosRow[]>
}

/** The rows as a plain-text table: scenario, store, figures, result. */
export function formatChaosTable(rows: ChaosRow[]): string {
  const cells = rows.map((row) => [
    row.scenario,
    row.store,
    row.figures.map(([label, value]) => `${label} ${formatValue(value)}`).join(' · '),
    row.failures.length === 0 ? 'ok' : `FAIL: ${row.failures.join('; ')}`,
  ])
  const titles = ['scenario', 'store', 'figures', 'result']
  const widths = titles.map((title, i) =>
    Math.max(title.length, ...cells.map((line) => line[i]!.length)),
  )
  const line = (parts: string[]) =>
    parts
      .map((part, i) => (i === parts.length - 1 ? part : part.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(titles), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n')
}

function formatValue(value: number | string): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : value
}
