// @ts-check
import { subscriptionStats } from '../api.js'
import { attemptsChart, latencyChart } from '../charts.js'
import { h, replace } from '../dom.js'
import { formatDuration, formatPercent } from '../format.js'
import { card, loading } from '../ui.js'

/** @typedef {import('../types.js').SubscriptionStats} SubscriptionStats */

const windows = [
  [1, 'Last hour'],
  [24, 'Last 24 hours'],
  [168, 'Last 7 days'],
]

/**
 * Totals, attempts per minute and latency per hour over the last 24 hours (or the last hour,
 * to look closely at an incident, or 7 days). Loads on its own so the rest of the page does not
 * wait for it, and redraws the charts when their width changes.
 *
 * @param {string} id
 * @param {AbortSignal} signal the page's: stops loading and watching sizes when it is left
 */
export function statsSection(id, signal) {
  const body = h('div', {}, loading())
  const select = h(
    'select',
    { id: 'stats-window' },
    windows.map(([hours, label]) =>
      h('option', { value: String(hours), selected: hours === 24 }, label),
    ),
  )
  /** @type {AbortController | null} */
  let drawing = null
  const load = async () => {
    drawing?.abort()
    const current = new AbortController()
    drawing = current
    signal.addEventListener('abort', () => current.abort(), { once: true })
    try {
      draw(body, await subscriptionStats(id, Number(select.value), current.signal), current.signal)
    } catch (err) {
      if (current.signal.aborted) return
      const why = err instanceof Error ? err.message : String(err)
      replace(body, h('p', { class: 'muted' }, `Statistics are not available: ${why}`))
    }
  }
  select.addEventListener('change', load)
  void load()
  return card('Traffic', body, { label: 'Window', control: select })
}

/**
 * @param {HTMLElement} body
 * @param {SubscriptionStats} stats
 * @param {AbortSignal} signal aborts when the window changes or the page is left
 */
function draw(body, stats, signal) {
  const { totals, latency } = stats
  const bars = h('div', { class: 'chart-box' })
  const lines = h('div', { class: 'chart-box' })
  const percentile = (/** @type {'p50' | 'p95' | 'p99'} */ p) =>
    latency ? formatDuration(latency[p]) : '–'
  replace(
    body,
    h(
      'dl',
      { class: 'tiles' },
      tile('Attempts', String(totals.attempts)),
      tile('Succeeded', String(totals.succeeded)),
      tile('Failed', String(totals.failed)),
      tile('Success rate', formatPercent(totals.successRate)),
      tile('Latency p50', percentile('p50')),
      tile('Latency p95', percentile('p95')),
      tile('Latency p99', percentile('p99')),
    ),
    h(
      'div',
      { class: 'grid-2 charts' },
      h('figure', {}, h('figcaption', {}, 'Attempts per minute, by outcome'), bars),
      h('figure', {}, h('figcaption', {}, 'Latency percentiles per hour'), lines),
    ),
  )
  let width = 0
  const redraw = () => {
    const next = bars.clientWidth
    if (next === 0 || Math.abs(next - width) < 2) return
    width = next
    replace(bars, attemptsChart(stats, width))
    replace(lines, latencyChart(stats, lines.clientWidth))
  }
  const observer = new ResizeObserver(redraw)
  observer.observe(bars)
  signal.addEventListener('abort', () => observer.disconnect(), { once: true })
}

/**
 * @param {string} label
 * @param {string} value
 */
function tile(label, value) {
  return h('div', { class: 'tile' }, h('dt', {}, label), h('dd', {}, value))
}
