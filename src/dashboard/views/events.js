// @ts-check
import { listEvents, listEventTypes, retryEvents } from '../api.js'
import { confirmDialog } from '../dialog.js'
import { h, replace } from '../dom.js'
import { fromLocalInput, toLocalInput } from '../format.js'
import { link } from '../router.js'
import { dataRow, dataTable, pager } from '../table.js'
import { badge, emptyState, notify, pageHeader, timeAgo } from '../ui.js'
import { curl } from './context.js'

/** @typedef {import('../types.js').WebhookEvent} WebhookEvent */
/** @typedef {import('../types.js').DeliveryCounts} DeliveryCounts */

const columns = ['Time', 'Type', 'Event ID', 'Deliveries']
const statuses = /** @type {const} */ (['succeeded', 'failed', 'retrying', 'pending', 'cancelled'])
/** The outcome filter's choices: "has failed" also finds deliveries waiting for a retry. */
const outcomes = /** @type {const} */ ([
  ['failed', 'has failed (or is retrying)'],
  ['retrying', 'is retrying'],
  ['pending', 'has pending'],
  ['succeeded', 'has succeeded'],
  ['cancelled', 'has cancelled'],
])
const filterNames = ['type', 'since', 'until', 'status']
/** The outcome filters a bulk retry can narrow to: any, or one of the failures. */
const retryable = ['', 'failed', 'retrying']

/**
 * `#/events`: the event log, newest first, 50 at a time, filtered by type, time range and
 * delivery outcome. The filters live in the URL, so a filtered view can be shared or reloaded.
 *
 * @type {import('./context.js').View}
 */
export async function eventsView({ main, query, signal, refresh }) {
  /** @type {Record<string, string>} */
  const filters = Object.fromEntries(filterNames.map((name) => [name, query.get(name) ?? '']))
  const filtered = filterNames.some((name) => filters[name] !== '')
  const page = await listEvents({ ...filters, limit: 50 }, signal)
  const header = pageHeader('Events', {
    sub: h('p', { class: 'muted' }, 'Everything published for this tenant, and what became of it.'),
    actions: h('button', { type: 'button', class: 'btn', onclick: refresh }, 'Refresh'),
  })
  if (page.data.length === 0 && !filtered) {
    replace(
      main,
      header,
      emptyState({
        title: 'No events yet',
        text: 'Publish the first one from your application (a key with the service role):',
        code: curl('POST', '/webhooks/events', 'HOOKRELAY_KEY', {
          type: 'order.created',
          data: { id: 42 },
        }),
      }),
    )
    return
  }
  const table = dataTable({ columns, caption: 'Events' }, page.data.map(eventRow))
  replace(
    main,
    header,
    filterForm(filters, signal),
    filtered &&
      page.data.length > 0 &&
      retryable.includes(filters.status ?? '') &&
      retryBar(filters),
    page.data.length === 0
      ? emptyState({
          title: 'No events match these filters',
          text: 'Widen the time range or clear the filters.',
          action: h('a', { class: 'btn', href: '#/events' }, 'Clear filters'),
        })
      : [
          table.element,
          pager({
            body: table.body,
            cursor: page.nextCursor,
            shown: page.data.length,
            noun: 'events',
            load: async (cursor) => {
              const next = await listEvents({ ...filters, limit: 50, cursor })
              return { rows: next.data.map(eventRow), next: next.nextCursor }
            },
          }),
        ],
  )
}

/** @param {WebhookEvent} e */
function eventRow(e) {
  return dataRow(columns, [
    timeAgo(e.timestamp),
    h('a', { href: link(['events', e.id]), class: 'strong' }, e.type),
    h('code', { class: 'wrap small' }, e.id),
    countBadges(e.deliveryCounts),
  ])
}

/**
 * "2 succeeded · 1 failed": the non-zero counts, or that nobody was subscribed.
 *
 * @param {DeliveryCounts | undefined} counts
 */
function countBadges(counts) {
  if (counts === undefined) return h('span', { class: 'muted' }, '–')
  const shown = statuses.filter((s) => counts[s] > 0)
  if (shown.length === 0) return h('span', { class: 'muted' }, 'no subscribers')
  return h(
    'span',
    { class: 'inline' },
    shown.map((s) => badge(s, `${counts[s]} ${s}`)),
  )
}

/**
 * "Retry failed deliveries of these events": after a confirmation, sends again now the failed
 * and retrying deliveries of every event the filters select (not only this page's), and says
 * how many it queued.
 *
 * @param {Record<string, string>} filters
 */
function retryBar(filters) {
  const result = h('p', { class: 'muted', 'aria-live': 'polite' })
  const button = h(
    'button',
    { type: 'button', class: 'btn' },
    'Retry failed deliveries of these events',
  )
  const which =
    filters.status === 'retrying'
      ? 'Every delivery waiting for a retry'
      : 'Every failed delivery, including those waiting for a retry,'
  button.addEventListener('click', async () => {
    const confirmed = await confirmDialog({
      title: 'Retry failed deliveries?',
      message:
        `${which} of the events these filters select (on every page) is sent again now, with a ` +
        'fresh retry schedule. Those of paused or disabled subscriptions are left as they are.',
      confirm: 'Retry now',
    })
    if (!confirmed) return
    button.disabled = true
    try {
      const { queued, skipped, more } = await retryEvents(filters)
      result.textContent = [
        queued === 0
          ? 'Nothing to retry: no delivery of these events is failing.'
          : `${queued} ${queued === 1 ? 'delivery' : 'deliveries'} queued, sending now.`,
        skipped > 0 &&
          `${skipped} of paused or disabled subscriptions ${skipped === 1 ? 'was' : 'were'} left.`,
        more && 'That is the most one retry sends: retry again for the rest.',
      ]
        .filter(Boolean)
        .join(' ')
    } catch (err) {
      result.textContent = ''
      notify(err instanceof Error ? err.message : String(err), 'bad')
    } finally {
      button.disabled = false
    }
  })
  return h('div', { class: 'actions bulk-retry' }, button, result)
}

/**
 * The filters, as a form that puts them in the URL.
 *
 * @param {Record<string, string>} filters
 * @param {AbortSignal} signal
 */
function filterForm(filters, signal) {
  const type = h('input', {
    id: 'filter-type',
    type: 'text',
    value: filters.type ?? '',
    list: 'event-type-names',
    autocomplete: 'off',
    placeholder: 'order.created',
  })
  const names = h('datalist', { id: 'event-type-names' })
  // Suggestions only; the log works without them.
  listEventTypes(signal).then(
    (types) => names.append(...types.data.map((t) => h('option', { value: t.name }))),
    () => {},
  )
  const localOf = (/** @type {string | undefined} */ iso) =>
    iso ? toLocalInput(new Date(iso)) : ''
  const since = h('input', {
    id: 'filter-since',
    type: 'datetime-local',
    value: localOf(filters.since),
  })
  const until = h('input', {
    id: 'filter-until',
    type: 'datetime-local',
    value: localOf(filters.until),
  })
  const status = h(
    'select',
    { id: 'filter-status' },
    h('option', { value: '' }, 'Any outcome'),
    outcomes.map(([s, label]) => h('option', { value: s, selected: s === filters.status }, label)),
  )
  const control = (/** @type {string} */ label, /** @type {HTMLElement} */ input) =>
    h('div', { class: 'field' }, h('label', { for: input.id }, label), input)
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter events' },
    control('Type', type),
    names,
    control('From', since),
    control('To', until),
    control('Outcome', status),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
      Object.values(filters).some((v) => v !== '') &&
        h('a', { class: 'btn', href: '#/events' }, 'Clear'),
    ),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    location.hash = link(['events'], {
      type: type.value.trim(),
      since: fromLocalInput(since.value),
      until: fromLocalInput(until.value),
      status: status.value,
    })
  })
  return form
}
