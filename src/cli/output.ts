import { CliError } from './cli-error.ts'

/** A table cell: text, a number, or nothing (shown as `-`). */
export type Cell = string | number | boolean | null | undefined

/** A stream the CLI writes to: stdout or stderr, or a fake in tests. */
export interface Output {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/**
 * Lays rows out under their headers in columns padded to the widest cell, two spaces apart. The
 * last column is not padded, so lines carry no trailing spaces.
 *
 * @example
 * formatTable(['ID', 'NAME'], [['sub_1', 'Orders']]) // 'ID     NAME\nsub_1  Orders\n'
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): string {
  const lines = [
    headers.map(cellText),
    ...rows.map((row) => headers.map((_, i) => cellText(row[i]))),
  ]
  const widths = headers.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)))
  return lines
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('')
}

/** Writes `formatTable(headers, rows)` to stdout (or `out`). */
export function printTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  out: Output = process.stdout,
): void {
  out.write(formatTable(headers, rows))
}

/**
 * Label and value pairs, one a line, values aligned: the header of a `show` command.
 *
 * @example
 * formatFields([['ID', 'evt_1'], ['Type', 'order.created']]) // 'ID    evt_1\nType  order.created\n'
 */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length))
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}\n`).join('')
}

/** Writes `value` as indented JSON and a newline to stdout (or `out`): what `--json` prints. */
export function printJson(value: unknown, out: Output = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`)
}

// A name or URL with a newline or tab in it would break the columns of every row after it.
function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-'
  return String(value).replace(/\p{Cc}+/gu, ' ')
}

/** `1 delivery`, `2 deliveries`. */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** An ISO time as people read it, to the second: `2024-05-01 12:00:03Z`; `-` for none. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-'
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

const units: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * Reads a time flag: an ISO 8601 date or date-time, or a duration before `now` such as `45s`,
 * `30m`, `2h`, `7d`, `1w`. Answers an ISO date-time; throws a CliError naming `flag` otherwise.
 *
 * @example
 * parseTime('2h', '--since', Date.parse('2024-05-01T12:00:00Z')) // '2024-05-01T10:00:00.000Z'
 */
export function parseTime(value: string, flag: string, now: number = Date.now()): string {
  const text = value.trim()
  const relative = /^(\d{1,6})\s*([smhdw])$/i.exec(text)
  if (relative !== null) {
    return new Date(now - Number(relative[1]) * units[relative[2]!.toLowerCase()]!).toISOString()
  }
  // Date.parse alone takes '1' or 'May 3' too, whose meaning depends on the engine and time zone.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(ms)) {
    throw new CliError(
      `${flag} must be an ISO time such as 2024-05-01T12:00:00Z or a time ago such as 30m, 2h, ` +
        `7d, not ${JSON.stringify(value)}`,
    )
  }
  return new Date(ms).toISOString()
}

/** A progress bar on one line, redrawn in place. */
export interface Progress {
  /** One more step done; `note` is shown after the count (a running total, say). */
  step(note?: string): void
  /** Erases the bar, so the summary that follows starts on a clean line. */
  done(): void
}

const barWidth = 24

/**
 * A progress bar of `total` steps on `out` (stderr by default), only when `out` is a terminal:
 * piped or redirected output gets nothing, so logs and scripts see only the summary.
 *
 * @example
 * const progress = createProgress(ids.length, 'subscriptions')
 * for (const id of ids) { await work(id); progress.step(`${queued} re-queued`) }
 * progress.done()
 */
export function createProgress(
  total: number,
  label: string,
  out: Output = process.stderr,
): Progress {
  if (out.isTTY !== true) return { step() {}, done() {} }
  let count = 0
  const draw = (note: string) => {
    const filled = total === 0 ? barWidth : Math.round((count / total) * barWidth)
    const bar = `${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}`
    const line = `[${bar}] ${count}/${total} ${label}${note === '' ? '' : `, ${note}`}`
    // Longer than the terminal, the line would wrap and `\r` could no longer redraw it.
    const width = Math.max(10, (out.columns ?? 80) - 1)
    out.write(`\r\u001b[2K${line.slice(0, width)}`)
  }
  draw('')
  return {
    step(note = '') {
      count = Math.min(total, count + 1)
      draw(note)
    },
    done() {
      out.write('\r\u001b[2K')
    },
  }
}
