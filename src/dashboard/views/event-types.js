// @ts-check
import { listEventTypes } from '../api.js'
import { h, replace } from '../dom.js'
import { prettyJson } from '../format.js'
import { link } from '../router.js'
import { codeBlock, emptyState, pageHeader, timeAgo } from '../ui.js'
import { curl } from './context.js'

/** @typedef {import('../types.js').EventType} EventType */

/**
 * `#/event-types`: the catalogue of event types with their descriptions and JSON Schemas.
 *
 * @type {import('./context.js').View}
 */
export async function eventTypesView({ main, signal }) {
  const types = await listEventTypes(signal)
  const header = pageHeader('Event types', {
    sub: h(
      'p',
      { class: 'muted' },
      'The catalogue: what each event means, and the schema its data must match.',
    ),
  })
  if (types.data.length === 0) {
    replace(
      main,
      header,
      emptyState({
        title: 'No event types registered',
        text: 'Events of any type can be published without one. Register a type (with an admin key) to describe it and check its data against a JSON Schema:',
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
  return h(
    'section',
    { class: 'card', id: `type-${t.name}` },
    h(
      'div',
      { class: 'section-head' },
      h('h2', {}, h('code', {}, t.name)),
      h('a', { class: 'btn btn-small', href: link(['events'], { type: t.name }) }, 'See events'),
    ),
    h('p', {}, t.description || h('span', { class: 'muted' }, 'No description.')),
    t.schema
      ? h(
          'details',
          { open: true },
          h('summary', {}, 'JSON Schema'),
          codeBlock(prettyJson(t.schema), 'Copy schema'),
        )
      : h('p', { class: 'muted small' }, 'No schema: any data is accepted.'),
    h('p', { class: 'muted small' }, 'Updated ', timeAgo(t.updatedAt)),
  )
}
