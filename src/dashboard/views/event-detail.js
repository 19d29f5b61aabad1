// @ts-check
import { getEvent, listSubscriptions, retryDelivery } from '../api.js'
import { h, replace } from '../dom.js'
import { absoluteTime, formatDuration, prettyJson } from '../format.js'
import { link } from '../router.js'
import { badge, codeBlock, copyButton, facts, notify, pageHeader, timeAgo } from '../ui.js'
import { attemptList } from './attempts.js'

/** @typedef {import('../types.js').EventDetail} EventDetail */
/** @typedef {import('../types.js').Delivery} Delivery */

/**
 * `#/events/evt_…`: an event's payload and each of its deliveries with every attempt, and
 * "Retry now". `?delivery=dlv_…` brings that delivery into view.
 *
 * @type {import('./context.js').View}
 */
export async function eventDetailView({ main, params, query, signal }) {
  const id = params.id ?? ''
  const [event, subscriptions] = await Promise.all([
    getEvent(id, signal),
    // Names read better than ids; without them the ids are shown.
    listSubscriptions({ limit: 100 }, signal).catch(() => ({ data: [] })),
  ])
  const names = new Map(subscriptions.data.map((s) => [s.id, s.name]))
  const deliveries = h('div', { class: 'deliveries' })

  /**
   * @param {EventDetail} detail
   * @param {string | null} focus the delivery to bring into view
   */
  const showDeliveries = (detail, focus) => {
    replace(
      deliveries,
      h('h2', {}, `Deliveries (${detail.deliveries.length})`),
      detail.deliveries.length === 0
        ? h(
            'p',
            { class: 'muted' },
            `No active subscription listened to ${detail.type} when it was published.`,
          )
        : detail.deliveries.map((d) =>
            deliveryCard(d, detail, names.get(d.subscriptionId), d.id === focus, retry),
          ),
    )
    const target = focus === null ? null : document.getElementById(focus)
    if (target) {
      target.scrollIntoView({ block: 'start' })
      target.querySelector('h3')?.focus()
    }
  }
  /** @param {Delivery} d */
  const retry = async (d) => {
    try {
      const attempt = await retryDelivery(d.id)
      const answer = attempt.statusCode === null ? 'no answer' : `${attempt.statusCode}`
      notify(
        `Retried: ${answer} in ${formatDuration(attempt.durationMs)}`,
        attempt.statusCode !== null && attempt.statusCode < 300 ? 'ok' : 'bad',
      )
      showDeliveries(await getEvent(id), d.id)
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'bad')
    }
  }

  replace(
    main,
    pageHeader(event.type, {
      back: { href: '#/events', label: 'Events' },
      sub: h(
        'p',
        { class: 'inline' },
        h('code', { class: 'wrap' }, event.id),
        copyButton(event.id, 'Copy ID'),
      ),
    }),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Event'),
        facts([
          [
            'Published',
            h('span', {}, absoluteTime(event.timestamp), ' (', timeAgo(event.timestamp), ')'),
          ],
          ['Tenant', event.tenant],
          [
            'Idempotency key',
            event.idempotencyKey ? h('code', { class: 'wrap' }, event.idempotencyKey) : null,
          ],
        ]),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Payload'),
        codeBlock(prettyJson(event.data ?? null), 'Copy payload'),
      ),
    ),
    deliveries,
  )
  showDeliveries(event, query.get('delivery'))
}

/**
 * One delivery: where it went, how it stands, "Retry now", and its attempts.
 *
 * @param {Delivery} d
 * @param {EventDetail} detail
 * @param {string | undefined} name
 * @param {boolean} highlight
 * @param {(d: Delivery) => Promise<void>} retry
 */
function deliveryCard(d, detail, name, highlight, retry) {
  // The call to action where something went wrong; a quiet button where it did not.
  const urgent = d.status === 'failed' || d.status === 'retrying'
  const button = h(
    'button',
    { type: 'button', class: urgent ? 'btn btn-primary' : 'btn' },
    'Retry now',
  )
  button.addEventListener('click', async () => {
    button.disabled = true
    button.textContent = 'Retrying…'
    await retry(d)
    button.disabled = false
    button.textContent = 'Retry now'
  })
  const attempts = detail.attempts.filter((a) => a.deliveryId === d.id)
  return h(
    'article',
    {
      class: highlight ? 'card delivery highlight' : 'card delivery',
      id: d.id,
      'data-delivery': d.id,
    },
    h(
      'div',
      { class: 'section-head' },
      h(
        'h3',
        { tabindex: '-1', class: 'inline' },
        badge(d.status),
        h('a', { href: link(['subscriptions', d.subscriptionId]) }, name ?? d.subscriptionId),
      ),
      h('div', { class: 'actions' }, button),
    ),
    h(
      'p',
      { class: 'muted small' },
      `${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`,
      (d.status === 'pending' || d.status === 'retrying') &&
        d.nextAttemptAt && [' · next ', timeAgo(d.nextAttemptAt)],
      ' · ',
      h('code', { class: 'wrap' }, d.id),
    ),
    attemptList(attempts),
  )
}
