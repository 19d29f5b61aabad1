// @ts-check
import { listEventTypes } from '../api.js'
import { h, replace } from '../dom.js'
import { prettyJson } from '../format.js'
import { link } from '../router.js'
import { badge, codeBlock, emptyState, pageHeader, timeAgo } from '../ui.js'
import { curl } from './context.js'

/** @typedef {import('../types.js').EventType} EventType */

/**
 * `#/event-types`: the catalogue of event types with their descriptions and JSON Schemas, and the
 * types the tenant has published without registering them.
 *
 * @type {import('./context.js').View}
 */
export async function eventTypesView({ main, signal }) {
  const types = await listEventTypes(signal)
  const header = pageHeader('Event types', {
    sub: h(
      'p',
      { class: 'muted' },
      'The catalogue: what each event means and the schema its data must match, and the types published without being registered.',
    ),
  })
  if (types.data.length === 0) {
    replace(
      main,
      header,
      emptyState({
        title: 'No event types yet',
        text: 'Types show here once events are published. Register a type (with an admin key) to describe it and check its data against a JSON Schema:',
        code: curl('PUT', '/webhooks/event-types/order.created', 'ADMIN_KEY', {
          description: 'An order was placed',
          schema: { type: 'object', required: ['id'] },
        }),
      }),
    )
    return
  }
  replace(main, header, h('div', { class: 'type-list' }, types.data.map(typeCard)))
}

/** @param {EventType} t */
function typeCard(t) {
  const lastSeen = h('span', {}, 'Last published ', timeAgo(t.lastSeenAt))
  return h(
    'section',
    { class: 'card', id: `type-${t.name}` },
    h(
      'div',
      { class: 'section-head' },
      h('h2', {}, h('code', {}, t.name), t.registered ? null : badge('seen', 'seen, no schema')),
      h('a', { class: 'btn btn-small', href: link(['events'], { type: t.name }) }, 'See events'),
    ),
    t.registered
      ? [
          h('p', {}, t.description || h('span', { class: 'muted' }, 'No description.')),
          t.schema
            ? h(
                'details',
                { open: true },
                h('summary', {}, 'JSON Schema'),
                codeBlock(prettyJson(t.schema), 'Copy schema'),
              )
            : h('p', { class: 'muted small' }, 'No schema: any data is accepted.'),
          h('p', { class: 'muted small' }, 'Updated ', timeAgo(t.updatedAt), ' · ', lastSeen),
        ]
      : [
          h(
            'p',
            { class: 'muted' },
            'Published, but not registered: it has no description, and any data is accepted.',
          ),
          h('p', { class: 'muted small' }, lastSeen),
        ],
  )
}
