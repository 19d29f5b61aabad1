/** One row of the results table. */
export interface Row {
  what: string
  count: number
  seconds: number
  /** Count per second. */
  rate: number
  /** Rate over the ceiling's rate, or null where the comparison means nothing. */
  ratio: number | null
  target: string
  marker: string
}

const columns: { title: string; width: number; right: boolean; cell: (row: Row) => string }[] = [
  { title: 'what', width: 44, right: false, cell: (r) => r.what },
  { title: 'count', width: 8, right: true, cell: (r) => String(r.count) },
  { title: 'seconds', width: 8, right: true, cell: (r) => r.seconds.toFixed(2) },
  {
    title: 'per second',
    width: 11,
    right: true,
    cell: (r) => Math.round(r.rate).toLocaleString('en-US'),
  },
  {
    title: 'vs ceiling',
    width: 10,
    right: true,
    cell: (r) => (r.ratio === null ? '—' : `${(r.ratio * 100).toFixed(1)}%`),
  },
  { title: 'target', width: 20, right: false, cell: (r) => r.target },
  { title: 'result', width: 10, right: false, cell: (r) => r.marker },
]

/** The rows as a fixed-width plain-text table. */
export function formatTable(rows: Row[]): string {
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const { width, right } = columns[i]!
        return right ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  const header = line(columns.map((c) => c.title))
  const rule = '-'.repeat(header.length)
  return [header, rule, ...rows.map((row) => line(columns.map((c) => c.cell(row))))].join('\n')
}
