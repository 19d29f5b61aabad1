// @ts-check
import { listDeliveries } from '../api.js'
import { h, replace } from '../dom.js'
import { link } from '../router.js'
import { dataRow, dataTable, pager } from '../table.js'
import { badge, card, errorBox, loading, statusCodeBadge, timeAgo } from '../ui.js'

/** @typedef {import('../types.js').Delivery} Delivery */

const columns = ['Status', 'Event', 'Attempts', 'Last answer', 'Created']
const statuses = ['pending', 'retrying', 'succeeded', 'failed', 'cancelled']
// Smaller pages than the event log: this list sits below the charts, not on a page of its own.
const pageSize = 25

/**
 * A subscription's deliveries, newest first, 25 at a time, filtered by status; each links to its
 * event's page, where its attempts are and where it can be retried.
 *
 * @param {string} id
 * @param {AbortSignal} signal
 */
export function deliveriesSection(id, signal) {
  const body = h('div', {}, loading())
  const select = h(
    'select',
    { id: 'delivery-status' },
    h('option', { value: '' }, 'All'),
    statuses.map((s) => h('option', { value: s }, s)),
  )
  const load = async () => {
    const status = select.value
    try {
      const page = await listDeliveries(id, { status, limit: pageSize }, signal)
      if (page.data.length === 0) {
        replace(
          body,
          h(
            'p',
            { class: 'muted' },
            status === ''
              ? 'No deliveries yet. Each event this subscription listens to becomes a delivery here.'
              : `No ${status} deliveries.`,
          ),
        )
        return
      }
      const table = dataTable({ columns, caption: 'Deliveries' }, page.data.map(deliveryRow))
      replace(
        body,
        table.element,
        pager({
          body: table.body,
          cursor: page.nextCursor,
          shown: page.data.length,
          noun: 'deliveries',
          load: async (cursor) => {
            const next = await listDeliveries(id, { status, limit: pageSize, cursor }, signal)
            return { rows: next.data.map(deliveryRow), next: next.nextCursor }
          },
        }),
      )
    } catch (err) {
      if (!signal.aborted) replace(body, errorBox(err, load))
    }
  }
  select.addEventListener('change', load)
  void load()
  return card('Deliveries', body, { label: 'Status', control: select })
}

/** @param {Delivery} d */
function deliveryRow(d) {
  return dataRow(columns, [
    badge(d.status),
    h(
      'div',
      { class: 'stack' },
      h('a', { href: link(['events', d.eventId], { delivery: d.id }) }, d.eventType ?? d.eventId),
      h('code', { class: 'muted wrap small' }, d.eventId),
    ),
    d.status === 'retrying' && d.nextAttemptAt
      ? h(
          'span',
          { class: 'stack' },
          String(d.attempts),
          h('span', { class: 'muted small' }, 'next ', timeAgo(d.nextAttemptAt)),
        )
      : String(d.attempts),
    d.attempts === 0
      ? h('span', { class: 'muted' }, d.nextAttemptAt ? 'not tried yet' : '–')
      : h(
          'span',
          { class: 'inline' },
          statusCodeBadge(d.lastStatusCode),
          d.lastError && h('span', { class: 'muted small wrap' }, d.lastError),
        ),
    timeAgo(d.createdAt),
  ])
}
