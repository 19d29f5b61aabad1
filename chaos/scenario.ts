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

/** The widest the figures column grows before its figures wrap onto more lines. */
const figuresWidth = 72

/**
 * The rows as a plain-text table: scenario, store, result, figures. A row's figures wrap onto
 * lines of their own, at most 72 characters wide, so the table reads in a terminal.
 */
export function formatChaosTable(rows: ChaosRow[]): string {
  const cells = rows.map((row) => ({
    scenario: row.scenario,
    store: row.store,
    result: row.failures.length === 0 ? 'ok' : 'FAIL',
    lines: [
      ...wrap(row.figures.map(([label, value]) => `${label} ${formatValue(value)}`)),
      ...row.failures.map((failure) => `✗ ${failure}`),
    ],
  }))
  const width = (title: string, values: string[]) =>
    Math.max(title.length, ...values.map((value) => value.length))
  const scenario = width(
    'scenario',
    cells.map((c) => c.scenario),
  )
  const store = width(
    'store',
    cells.map((c) => c.store),
  )
  const result = width(
    'result',
    cells.map((c) => c.result),
  )
  const line = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(scenario)}  ${b.padEnd(store)}  ${c.padEnd(result)}  ${d}`.trimEnd()
  const out = [
    line('scenario', 'store', 'result', 'figures'),
    line('─'.repeat(scenario), '─'.repeat(store), '─'.repeat(result), '─'.repeat(figuresWidth)),
  ]
  for (const cell of cells) {
    const [first = '', ...rest] = cell.lines
    out.push(line(cell.scenario, cell.store, cell.result, first))
    for (const more of rest) out.push(line('', '', '', more))
  }
  return out.join('\n')
}

/** Joins the parts with ' · ' into lines of at most `figuresWidth` characters (longer parts alone). */
function wrap(parts: string[]): string[] {
  const lines: string[] = []
  let current = ''
  for (const part of parts) {
    if (current === '') current = part
    else if (current.length + 3 + part.length <= figuresWidth) current += ` · ${part}`
    else {
      lines.push(current)
      current = part
    }
  }
  if (current !== '') lines.push(current)
  return lines
}

function formatValue(value: number | string): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : value
}
