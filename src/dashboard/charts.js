// @ts-check
// Two small SVG charts drawn by hand: a chart library would be the dashboard's largest file and
// one more thing to audit, for two shapes. Drawn at the container's pixel width (the caller
// redraws on resize), so text stays legible at phone width instead of being scaled down.
import { h, svg } from './dom.js'
import { niceTicks, timeTicks } from './scales.js'

/** @typedef {import('./types.js').SubscriptionStats} SubscriptionStats */

const height = 220
const margin = { top: 34, right: 16, bottom: 30, left: 58 }
const minute = 60_000
const hour = 60 * minute

/**
 * Attempts per minute, succeeded and failed stacked, over the stats window; an empty state when
 * there were none. Attempts, not deliveries: a delivery retried three times is three bars' worth,
 * which is what a struggling receiver looks like (counting deliveries would need another query).
 *
 * @param {SubscriptionStats} stats
 * @param {number} width the pixel width to draw at
 * @returns {Element}
 */
export function attemptsChart(stats, width) {
  if (stats.perMinute.length === 0) {
    return empty('No attempts in this window. Publish an event to see them here.')
  }
  const frame = layout(stats, width)
  const top = Math.max(...stats.perMinute.map((p) => p.succeeded + p.failed))
  const yTicks = niceTicks(top, 4, true)
  const yMax = /** @type {number} */ (yTicks.at(-1))
  const y = (/** @type {number} */ v) => margin.top + frame.plotH - (v / yMax) * frame.plotH
  const barWidth = Math.max(frame.plotW / ((frame.until - frame.since) / minute), 2)
  const bars = stats.perMinute.map((p) => {
    const left = Math.min(frame.x(Date.parse(p.minute)), margin.left + frame.plotW - barWidth)
    return svg(
      'g',
      {},
      svg(
        'title',
        {},
        `${pointLabel.format(Date.parse(p.minute))}: ${p.succeeded} succeeded, ${p.failed} failed`,
      ),
      rect('bar-ok', left, y(p.succeeded), barWidth, y(0) - y(p.succeeded)),
      rect(
        'bar-bad',
        left,
        y(p.succeeded + p.failed),
        barWidth,
        y(p.succeeded) - y(p.succeeded + p.failed),
      ),
    )
  })
  const { totals } = stats
  return svg(
    'svg',
    chartAttrs(
      frame.width,
      `Attempts per minute: ${totals.succeeded} succeeded and ${totals.failed} failed in the window`,
    ),
    axes(frame, yTicks, y, String, 'attempts / min'),
    bars,
    legend([
      ['succeeded', 'bar-ok', 'box'],
      ['failed', 'bar-bad', 'box'],
    ]),
  )
}

const percentiles = /** @type {const} */ (['p50', 'p95', 'p99'])

/**
 * Latency percentiles (p50, p95, p99) per hour as lines, broken where an hour had no attempts;
 * an empty state when there were none.
 *
 * @param {SubscriptionStats} stats
 * @param {number} width
 * @returns {Element}
 */
export function latencyChart(stats, width) {
  const hours = stats.latencyPerHour
  if (hours.length === 0) return empty('No latency to show: no attempts in this window.')
  const frame = layout(stats, width)
  const yTicks = niceTicks(Math.max(...hours.map((p) => p.p99)), 4, true)
  const yMax = /** @type {number} */ (yTicks.at(-1))
  const y = (/** @type {number} */ v) => margin.top + frame.plotH - (v / yMax) * frame.plotH
  // Each hour's point sits in the middle of its hour.
  const xOf = (/** @type {string} */ iso) =>
    frame.x(Math.min(Math.max(Date.parse(iso) + hour / 2, frame.since), frame.until))
  const lines = percentiles.map((p) => {
    let d = ''
    let previous = Number.NEGATIVE_INFINITY
    for (const point of hours) {
      const t = Date.parse(point.hour)
      d += `${t - previous > hour ? 'M' : 'L'}${xOf(point.hour).toFixed(1)},${y(point[p]).toFixed(1)}`
      previous = t
    }
    return svg('path', { class: `line line-${p}`, d })
  })
  const dots = hours.map((point) =>
    svg(
      'g',
      {},
      svg(
        'title',
        {},
        `${pointLabel.format(Date.parse(point.hour))}: p50 ${ms(point.p50)}, p95 ${ms(point.p95)}, p99 ${ms(point.p99)} (${point.attempts} attempts)`,
      ),
      percentiles.map((p) =>
        svg('circle', {
          class: `dot line-${p}`,
          cx: xOf(point.hour).toFixed(1),
          cy: y(point[p]).toFixed(1),
          r: 3,
        }),
      ),
    ),
  )
  const overall = stats.latency
  const summary = overall
    ? `Latency per hour; over the window p50 ${ms(overall.p50)}, p95 ${ms(overall.p95)}, p99 ${ms(overall.p99)}`
    : 'Latency per hour'
  return svg(
    'svg',
    chartAttrs(frame.width, summary),
    axes(frame, yTicks, y, ms, 'latency'),
    lines,
    dots,
    legend(percentiles.map((p) => [p, `line-${p}`, 'line'])),
  )
}

/**
 * @param {SubscriptionStats} stats
 * @param {number} width
 */
function layout(stats, width) {
  const since = Date.parse(stats.since)
  const until = Date.parse(stats.until)
  const plotW = Math.max(Math.floor(width) - margin.left - margin.right, 120)
  const plotH = height - margin.top - margin.bottom
  const x = (/** @type {number} */ t) => margin.left + ((t - since) / (until - since)) * plotW
  return { since, until, plotW, plotH, x, width: plotW + margin.left + margin.right }
}

/**
 * @param {number} width
 * @param {string} label
 */
function chartAttrs(width, label) {
  return {
    class: 'chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': label,
  }
}

/**
 * Grid lines with y labels, hour labels along x, and the y axis title.
 *
 * @param {ReturnType<typeof layout>} frame
 * @param {number[]} yTicks
 * @param {(v: number) => number} y
 * @param {(v: number) => string} format
 * @param {string} title
 */
function axes(frame, yTicks, y, format, title) {
  const right = margin.left + frame.plotW
  const bottom = margin.top + frame.plotH
  return svg(
    'g',
    { class: 'axes' },
    yTicks.map((v) =>
      svg(
        'g',
        {},
        svg('line', {
          class: v === 0 ? 'axis' : 'grid',
          x1: margin.left,
          x2: right,
          y1: y(v),
          y2: y(v),
        }),
        svg('text', { x: margin.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)),
      ),
    ),
    timeTicks(frame.since, frame.until, frame.plotW).map(([t, label]) =>
      svg(
        'g',
        {},
        svg('line', { class: 'axis', x1: frame.x(t), x2: frame.x(t), y1: bottom, y2: bottom + 4 }),
        svg('text', { x: frame.x(t), y: bottom + 18, 'text-anchor': 'middle' }, label),
      ),
    ),
    svg(
      'text',
      {
        class: 'axis-title',
        transform: `translate(12 ${margin.top + frame.plotH / 2}) rotate(-90)`,
        'text-anchor': 'middle',
      },
      title,
    ),
  )
}

const pointLabel = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/**
 * A row of swatches and names above the plot.
 *
 * @param {[string, string, 'box' | 'line'][]} items
 */
function legend(items) {
  let x = margin.left
  return svg(
    'g',
    { class: 'legend' },
    items.map(([label, className, kind]) => {
      const left = x
      x += 28 + label.length * 7
      return svg(
        'g',
        {},
        kind === 'box'
          ? rect(className, left, 8, 12, 12)
          : svg('line', { class: `line ${className}`, x1: left, x2: left + 14, y1: 14, y2: 14 }),
        svg('text', { x: left + 18, y: 18 }, label),
      )
    }),
  )
}

/**
 * @param {string} className
 * @param {number} x
 * @param {number} y
 * @param {number} width
 * @param {number} height
 */
function rect(className, x, y, width, height) {
  return svg('rect', {
    class: className,
    x: x.toFixed(1),
    y: y.toFixed(1),
    width: width.toFixed(1),
    height: Math.max(height, 0).toFixed(1),
  })
}

/** @param {string} text */
function empty(text) {
  return h('div', { class: 'chart-empty' }, h('p', {}, text))
}

/** "850 ms", "1.5 s": compact, for axis labels. @param {number} v */
function ms(v) {
  return v < 1000 ? `${Math.round(v)} ms` : `${+(v / 1000).toFixed(1)} s`
}
