// @ts-check
import { createSubscription, updateSubscription } from '../api.js'
import { openDialog } from '../dialog.js'
import { h } from '../dom.js'
import { clearErrors, field, formError, showFieldError, showProblem } from '../form.js'
import { eventList, eventPicker } from './event-picker.js'

/** @typedef {import('../types.js').Subscription} Subscription */

const schemes = [
  ['standard', 'Standard Webhooks (webhook-signature)'],
  ['github', 'GitHub (X-Hub-Signature-256)'],
  ['servicestack', 'ServiceStack (X-Hub-Signature)'],
  ['superoffice', 'SuperOffice (X-SuperOffice-Signature)'],
]
const payloads = [
  ['envelope', 'Envelope: id, type, timestamp, tenant and data'],
  ['data', 'Only the event’s data'],
]

/**
 * Opens the create form, or the edit form of `existing`. Resolves with the saved subscription, or
 * null when the dialog was closed without saving. The API checks everything; its messages appear
 * beside the fields they are about.
 *
 * @param {Subscription} [existing]
 * @returns {Promise<Subscription | null>}
 */
export async function openSubscriptionForm(existing) {
  const input = (/** @type {Record<string, unknown>} */ attrs) =>
    h('input', { type: 'text', ...attrs })
  const select = (/** @type {string[][]} */ options, /** @type {string} */ value) =>
    h(
      'select',
      {},
      options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
    )
  const controls = {
    name: input({ value: existing?.name ?? '', autocomplete: 'off', autofocus: true }),
    url: input({
      type: 'url',
      value: existing?.config.url ?? '',
      placeholder: 'https://example.com/webhooks',
      spellcheck: 'false',
    }),
    events: input({
      value: existing?.events.join(', ') ?? '',
      placeholder: 'order.created, order.*',
    }),
    description: h('textarea', { rows: '2' }, existing?.description ?? ''),
    scheme: select(schemes, existing?.signatureScheme ?? 'standard'),
    payload: select(payloads, existing?.payload ?? 'envelope'),
    headers: h(
      'textarea',
      { rows: '3', spellcheck: 'false', placeholder: 'X-Team: billing' },
      headerLines(existing?.headers),
    ),
    rateLimit: input({
      type: 'number',
      min: '0',
      step: 'any',
      inputmode: 'decimal',
      value: existing?.rateLimit ?? '',
    }),
  }
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary' },
    existing ? 'Save changes' : 'Create subscription',
  )
  // novalidate: the API's own messages are the ones to show, not the browser's.
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    formError(),
    field({ label: 'Name', name: 'name', control: controls.name }),
    field({
      label: 'Endpoint URL',
      name: 'config.url',
      control: controls.url,
      hint: 'Where Hookrelay POSTs each event (http or https).',
    }),
    field({
      label: 'Events',
      name: 'events',
      control: controls.events,
      hint: 'Event types separated by commas; order.* matches every order event, * matches all.',
    }),
    eventPicker(controls.events),
    field({
      label: 'Description',
      name: 'description',
      control: controls.description,
      optional: true,
    }),
    h(
      'details',
      { class: 'advanced' },
      h('summary', {}, 'Signature, payload, headers and rate limit'),
      h(
        'div',
        { class: 'advanced-body' },
        field({ label: 'Signature scheme', name: 'signatureScheme', control: controls.scheme }),
        field({ label: 'Payload', name: 'payload', control: controls.payload }),
        field({
          label: 'Custom headers',
          name: 'headers',
          control: controls.headers,
          hint: 'One per line, as Name: value. Sent with every delivery.',
          optional: true,
        }),
        field({
          label: 'Rate limit',
          name: 'rateLimit',
          control: controls.rateLimit,
          hint: 'Deliveries per second at most; empty for no limit.',
          optional: true,
        }),
      ),
    ),
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => close('') }, 'Cancel'),
      submit,
    ),
  )
  /** @type {Subscription | null} */
  let saved = null
  const { close, closed } = openDialog({
    title: existing ? `Edit ${existing.name}` : 'New subscription',
    body: form,
    wide: true,
  })
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(form)
    const headers = parseHeaders(controls.headers.value)
    if (headers === null) {
      showFieldError(form, 'headers', 'Write each header on its own line as Name: value.')
      return
    }
    const body = {
      name: controls.name.value.trim(),
      events: eventList(controls.events.value),
      config: { url: controls.url.value.trim() },
      signatureScheme: controls.scheme.value,
      payload: controls.payload.value,
      ...optional('description', controls.description.value.trim(), existing),
      ...optional(
        'rateLimit',
        controls.rateLimit.value === '' ? '' : Number(controls.rateLimit.value),
        existing,
      ),
      ...(existing || Object.keys(headers).length > 0 ? { headers } : {}),
    }
    submit.disabled = true
    try {
      saved = existing
        ? await updateSubscription(existing.id, body)
        : await createSubscription(body)
      close('saved')
    } catch (err) {
      const aliases = {
        unsafe_url: 'config.url',
        duplicate_subscription: 'config.url',
        config: 'config.url',
      }
      showProblem(form, err, aliases, body)
    } finally {
      submit.disabled = false
    }
  })
  await closed
  return saved
}

/**
 * `{ [name]: value }`, or on edit `{ [name]: null }` to clear it, or nothing on create.
 *
 * @param {string} name
 * @param {string | number} value
 * @param {Subscription | undefined} existing
 */
function optional(name, value, existing) {
  if (value !== '') return { [name]: value }
  return existing ? { [name]: null } : {}
}

/** @param {Record<string, string> | undefined} headers */
function headerLines(headers) {
  return Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
}

/**
 * `Name: value` lines as an object; null when a line has no colon.
 *
 * @param {string} text
 * @returns {Record<string, string> | null}
 */
function parseHeaders(text) {
  /** @type {Record<string, string>} */
  const headers = {}
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const colon = line.indexOf(':')
    if (colon < 1) return null
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  }
  return headers
}
