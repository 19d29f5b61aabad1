// @ts-check
import { listSubscriptions, listSubscriptionStats } from '../api.js'
import { h, replace } from '../dom.js'
import { formatPercent } from '../format.js'
import { link } from '../router.js'
import { dataRow, dataTable, pager } from '../table.js'
import {
  badge,
  emptyState,
  failingText,
  eventChips,
  notify,
  pageHeader,
  statusCodeBadge,
  timeAgo,
} from '../ui.js'
import { curl } from './context.js'
import { openSubscriptionForm } from './subscription-form.js'

/** @typedef {import('../types.js').Subscription} Subscription */
/** @typedef {import('../types.js').StatsRow} StatsRow */

const columns = ['Subscription', 'Events', 'State', 'Health', 'Success, 24 h', 'Last delivery']
const states = ['active', 'paused', 'disabled']

/**
 * `#/subscriptions`: the tenant's subscriptions with state, health, success rate and last
 * delivery, failing ones first (in red), a state filter, and the button that creates one.
 *
 * @type {import('./context.js').View}
 */
export async function subscriptionsView({ main, query, signal }) {
  const state = query.get('state') ?? ''
  // Failing ones come first, whichever page they would be on; the newest-first pages after them
  // leave them out.
  const [failing, firstPage, stats] = await Promise.all([
    state === 'disabled'
      ? { data: [], nextCursor: null }
      : listSubscriptions({ state, health: 'failing', limit: 100 }, signal),
    listSubscriptions({ state, limit: 50 }, signal),
    // The numbers are a help, not the point: the list still shows when they cannot be had.
    listSubscriptionStats(signal).catch(() => ({ data: [] })),
  ])
  const pinned = new Set(failing.data.map((s) => s.id))
  const rest = (/** @type {Subscription[]} */ subs) => subs.filter((s) => !pinned.has(s.id))
  const page = {
    data: [...failing.data, ...rest(firstPage.data)],
    nextCursor: firstPage.nextCursor,
  }
  const statsById = new Map(stats.data.map((s) => [s.subscriptionId, s]))
  const create = async () => {
    const created = await openSubscriptionForm()
    if (created) {
      notify(`Created ${created.name}`)
      location.hash = link(['subscriptions', created.id])
    }
  }
  const header = pageHeader('Subscriptions', {
    sub: h('p', { class: 'muted' }, 'Where this tenant’s events are delivered.'),
    actions: h(
      'button',
      { type: 'button', class: 'btn btn-primary', onclick: create },
      'New subscription',
    ),
  })
  if (page.data.length === 0 && state === '') {
    replace(
      main,
      header,
      emptyState({
        title: 'No subscriptions yet',
        text: 'A subscription sends the events it lists to your URL, signed, with retries. Create one here, or with the API:',
        code: curl('POST', '/webhooks/subscriptions', 'HOOKRELAY_KEY', {
          name: 'Orders',
          events: ['order.*'],
          config: { url: 'https://example.com/webhooks' },
        }),
        action: h(
          'button',
          { type: 'button', class: 'btn btn-primary', onclick: create },
          'Create a subscription',
        ),
      }),
    )
    return
  }
  const table = dataTable(
    { columns, caption: 'Subscriptions' },
    page.data.map((s) => subscriptionRow(s, statsById.get(s.id))),
  )
  replace(
    main,
    header,
    stateFilter(state),
    page.data.length === 0
      ? emptyState({
          title: `No ${state} subscriptions`,
          text: 'Try another state.',
          action: h('a', { class: 'btn', href: '#/subscriptions' }, 'Show all'),
        })
      : [
          table.element,
          pager({
            body: table.body,
            cursor: page.nextCursor,
            shown: page.data.length,
            noun: 'subscriptions',
            load: async (cursor) => {
              const next = await listSubscriptions({ state, limit: 50, cursor })
              return {
                rows: rest(next.data).map((s) => subscriptionRow(s, statsById.get(s.id))),
                next: next.nextCursor,
              }
            },
          }),
        ],
  )
}

/**
 * @param {Subscription} s
 * @param {StatsRow | undefined} stats
 */
function subscriptionRow(s, stats) {
  const failing = failingText(s)
  return dataRow(
    columns,
    [
      h(
        'div',
        { class: 'stack' },
        h('a', { href: link(['subscriptions', s.id]), class: 'strong' }, s.name),
        h('span', { class: 'url' }, s.config.url),
      ),
      eventChips(s.events, 3),
      badge(s.state),
      failing
        ? h(
            'div',
            { class: 'stack' },
            badge('failing'),
            h('span', { class: 'small bad-text' }, failing),
          )
        : badge(s.health),
      stats
        ? h(
            'span',
            {
              class:
                stats.successRate !== null && stats.successRate < 0.9 ? 'rate rate-bad' : 'rate',
            },
            formatPercent(stats.successRate),
            h(
              'span',
              { class: 'muted' },
              ` · ${stats.attempts} ${stats.attempts === 1 ? 'attempt' : 'attempts'}`,
            ),
          )
        : h('span', { class: 'muted' }, 'no attempts'),
      stats?.lastAttemptAt
        ? h(
            'span',
            { class: 'inline' },
            statusCodeBadge(stats.lastStatusCode),
            timeAgo(stats.lastAttemptAt),
          )
        : h('span', { class: 'muted' }, 'never'),
    ],
    failing ? { class: 'row-bad' } : {},
  )
}

/** @param {string} state */
function stateFilter(state) {
  const select = h(
    'select',
    {
      id: 'state-filter',
      onchange: (/** @type {Event} */ e) => {
        location.hash = link(['subscriptions'], {
          state: /** @type {HTMLSelectElement} */ (e.target).value,
        })
      },
    },
    h('option', { value: '' }, 'All states'),
    states.map((s) => h('option', { value: s, selected: s === state }, s)),
  )
  return h(
    'div',
    { class: 'filters' },
    h('div', { class: 'field inline-field' }, h('label', { for: 'state-filter' }, 'State'), select),
  )
}
