/** Hand-written SVG line charts for the scheduling rows (no dependency). */

export interface Series {
  name: string
  points: [number, number][]
}

export interface LineChart {
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  /** Upper bound of the x axis (default: the largest x). */
  xMax?: number
}

const palette = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#17becf',
  '#7f7f7f',
]
const width = 720
const height = 400
const margin = { left: 70, right: 20, top: 40, bottom: 50 }

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A round step giving about `count` ticks over `max`. */
function step(max: number, count: number): number {
  const raw = max / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const scaled = raw / power
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power
}

const format = (n: number) =>
  Math.abs(n) >= 1000
    ? n.toLocaleString('en-US', { maximumFractionDigits: 0 })
    : String(+n.toFixed(2))

/** The chart as an SVG document. */
export function lineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points)
  const xMax = chart.xMax ?? Math.max(1, ...all.map(([x]) => x))
  const yMax = Math.max(1, ...all.map(([, y]) => y)) * 1.05
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const sx = (x: number) => margin.left + (Math.min(x, xMax) / xMax) * plotW
  const sy = (y: number) => margin.top + plotH - (y / yMax) * plotH
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escape(chart.title)}</text>`,
  ]
  const xs = step(xMax, 8)
  for (let x = 0; x <= xMax + 1e-9; x += xs) {
    parts.push(
      `<line x1="${sx(x)}" y1="${margin.top}" x2="${sx(x)}" y2="${margin.top + plotH}" stroke="#eee"/>`,
      `<text x="${sx(x)}" y="${margin.top + plotH + 16}" text-anchor="middle">${format(x)}</text>`,
    )
  }
  const ys = step(yMax, 6)
  for (let y = 0; y <= yMax + 1e-9; y += ys) {
    parts.push(
      `<line x1="${margin.left}" y1="${sy(y)}" x2="${margin.left + plotW}" y2="${sy(y)}" stroke="#eee"/>`,
      `<text x="${margin.left - 6}" y="${sy(y) + 4}" text-anchor="end">${format(y)}</text>`,
    )
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.yLabel)}</text>`,
  )
  chart.series.forEach((s, i) => {
    const color = palette[i % palette.length]!
    const d = s.points
      .filter(([x]) => x <= xMax)
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join('')
    if (d !== '') parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`)
    const ly = margin.top + 14 + i * 16
    parts.push(
      `<line x1="${margin.left + plotW - 190}" y1="${ly - 4}" x2="${margin.left + plotW - 170}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${margin.left + plotW - 165}" y="${ly}">${escape(s.name)}</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

/** The empirical CDF of `values` as points (at most about 400), in percent. */
export function cdf(values: number[]): [number, number][] {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  if (n === 0) return []
  const every = Math.max(1, Math.floor(n / 400))
  const points: [number, number][] = []
  for (let i = 0; i < n; i += every) points.push([sorted[i]!, ((i + 1) / n) * 100])
  points.push([sorted[n - 1]!, 100])
  return points
}

/** Per-second counts with the seconds that had none filled in as 0, from `from` to the last. */
export function perSecondFilled(points: [number, number][], from = 0): [number, number][] {
  if (points.length === 0) return []
  const counts = new Map(points)
  const last = Math.max(...points.map(([x]) => x))
  const filled: [number, number][] = []
  for (let x = Math.min(from, ...points.map(([p]) => p)); x <= last; x++) {
    filled.push([x, counts.get(x) ?? 0])
  }
  return filled
}
