// @ts-check
import { recoverSubscription, revealSecret, rotateSecret } from '../api.js'
import { confirmDialog } from '../dialog.js'
import { h, replace } from '../dom.js'
import { clearErrors, field, formError, showFieldError, showProblem } from '../form.js'
import { fromLocalInput, toLocalInput } from '../format.js'
import { copyButton, eventChips, facts, notify, timeAgo } from '../ui.js'

/** @typedef {import('../types.js').Subscription} Subscription */

const schemeNames = /** @type {Record<string, string>} */ ({
  standard: 'Standard Webhooks',
  github: 'GitHub',
  servicestack: 'ServiceStack',
  superoffice: 'SuperOffice',
})

/**
 * What the subscription is: events, signing, payload, headers, limits and when it was made.
 *
 * @param {Subscription} s
 */
export function detailsCard(s) {
  const headers = Object.entries(s.headers ?? {})
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Details'),
    facts([
      ['Events', eventChips(s.events)],
      ['Signature', schemeNames[s.signatureScheme ?? 'standard'] ?? s.signatureScheme ?? null],
      [
        'Payload',
        s.payload === 'data' ? 'Only the event’s data' : 'Envelope (id, type, timestamp, data)',
      ],
      [
        'Headers',
        headers.length === 0
          ? null
          : h(
              'span',
              { class: 'stack' },
              headers.map(([n, v]) => h('code', { class: 'wrap' }, `${n}: ${v}`)),
            ),
      ],
      ['Rate limit', s.rateLimit ? `${s.rateLimit} per second` : null],
      ['Description', s.description || null],
      ['ID', h('code', { class: 'wrap' }, s.id)],
      ['Created', timeAgo(s.createdAt)],
      ['Updated', timeAgo(s.updatedAt)],
    ]),
  )
}

/**
 * The signing secret, hidden until revealed, with copy and rotate.
 *
 * @param {string} id
 */
export function secretCard(id) {
  const value = h('code', { class: 'secret wrap' }, 'whsec_••••••••••••••••')
  const reveal = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false' },
    'Reveal',
  )
  const copySlot = h('span')
  /** @param {string} secret */
  const showSecret = (secret) => {
    value.textContent = secret
    reveal.textContent = 'Hide'
    reveal.setAttribute('aria-pressed', 'true')
    replace(copySlot, copyButton(secret, 'Copy secret'))
  }
  reveal.addEventListener('click', async () => {
    if (reveal.getAttribute('aria-pressed') === 'true') {
      value.textContent = 'whsec_••••••••••••••••'
      reveal.textContent = 'Reveal'
      reveal.setAttribute('aria-pressed', 'false')
      replace(copySlot)
      return
    }
    try {
      showSecret((await revealSecret(id)).secret)
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'bad')
    }
  })
  const rotate = async () => {
    const sure = await confirmDialog({
      title: 'Rotate the signing secret?',
      message:
        'A new secret signs from now on. The old one keeps signing too for 24 hours, so receivers have time to switch.',
      confirm: 'Rotate secret',
    })
    if (!sure) return
    try {
      showSecret((await rotateSecret(id)).secret)
      notify('New secret made; the old one signs for 24 hours more')
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'bad')
    }
  }
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Signing secret'),
    h('p', { class: 'muted' }, 'Receivers check each delivery’s signature with it.'),
    h('p', {}, value),
    h(
      'div',
      { class: 'actions' },
      reveal,
      copySlot,
      h('button', { type: 'button', class: 'btn btn-small', onclick: rotate }, 'Rotate'),
    ),
  )
}

/**
 * "Recover": sends again, now, every delivery that did not succeed (failed, or waiting for a
 * retry) since a time: when the receiver started failing, else 24 hours ago.
 *
 * @param {import('../types.js').Subscription} s
 */
export function recoverCard(s) {
  const id = s.id
  const from = s.failingSince ? Date.parse(s.failingSince) - 60_000 : Date.now() - 24 * 3600_000
  const since = h('input', {
    type: 'datetime-local',
    value: toLocalInput(new Date(from)),
  })
  const result = h('p', { class: 'muted', 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', class: 'btn' }, 'Recover')
  const form = h(
    'form',
    { class: 'form recover', novalidate: true },
    formError(),
    h(
      'div',
      { class: 'inline-form' },
      field({
        label: 'Send again what failed since',
        name: 'since',
        control: since,
        hint: s.failingSince
          ? 'Your local time; a minute before it started failing.'
          : 'Your local time.',
      }),
      submit,
    ),
    result,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(form)
    const iso = fromLocalInput(since.value)
    if (iso === null) {
      showFieldError(form, 'since', 'Pick a date and time.')
      return
    }
    submit.disabled = true
    try {
      const { queued } = await recoverSubscription(id, iso)
      result.textContent =
        queued === 0
          ? 'Nothing to recover: every delivery since then succeeded or is on its way.'
          : `${queued} ${queued === 1 ? 'delivery' : 'deliveries'} queued, sending now.`
    } catch (err) {
      showProblem(form, err)
    } finally {
      submit.disabled = false
    }
  })
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Recover failed deliveries'),
    h(
      'p',
      { class: 'muted' },
      'After fixing a receiver, send again, now, everything that failed since it broke, ' +
        'including deliveries still waiting for a retry.',
    ),
    form,
  )
}
