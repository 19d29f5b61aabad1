// @ts-check
import { ApiError } from './api.js'
import { h, uid } from './dom.js'

/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Control */

/**
 * A labelled form field: the label, an optional hint, the control, and a place under it where
 * the API's message about this field appears (tied to the control with aria-describedby).
 *
 * @param {{ label: string, name: string, control: Control, hint?: string, optional?: boolean }} spec
 */
export function field(spec) {
  const id = uid(`field-${spec.name}`)
  const hintId = `${id}-hint`
  const errorId = `${id}-error`
  const { control } = spec
  control.id = id
  control.name = spec.name
  control.setAttribute('aria-describedby', spec.hint ? `${hintId} ${errorId}` : errorId)
  return h(
    'div',
    { class: 'field', 'data-field': spec.name },
    h(
      'label',
      { for: id },
      spec.label,
      spec.optional && h('span', { class: 'optional' }, ' (optional)'),
    ),
    spec.hint && h('p', { class: 'hint', id: hintId }, spec.hint),
    control,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  )
}

/**
 * Shows `message` beside the field `name` of `form` and focuses its control; false when the form
 * has no such field.
 *
 * @param {HTMLElement} form
 * @param {string} name
 * @param {string} message
 */
export function showFieldError(form, name, message) {
  const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`)
  const error = wrapper?.querySelector('.field-error')
  const control = wrapper?.querySelector('input, select, textarea')
  if (!(error instanceof HTMLElement) || !(control instanceof HTMLElement)) return false
  error.textContent = message
  error.hidden = false
  control.setAttribute('aria-invalid', 'true')
  // A field inside a closed "Advanced" section must be shown before it can take focus.
  const details = wrapper?.closest('details')
  if (details) details.open = true
  control.focus()
  return true
}

/**
 * Removes every field message and the form-level message.
 *
 * @param {HTMLElement} form
 */
export function clearErrors(form) {
  for (const error of form.querySelectorAll('.field-error, .form-error')) {
    if (!(error instanceof HTMLElement)) continue
    error.textContent = ''
    error.hidden = true
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) {
    control.removeAttribute('aria-invalid')
  }
}

/** A form-level message slot, for problems that name no field of the form. */
export function formError() {
  return h('p', { class: 'form-error alert alert-bad', role: 'alert', hidden: true })
}

/**
 * Puts an API problem where it belongs: beside the field its `field` (or `code`) names, through
 * `aliases` (API name → form field name) when they differ; otherwise at the top of the form.
 *
 * @param {HTMLElement} form
 * @param {unknown} error
 * @param {Record<string, string>} [aliases]
 */
export function showProblem(form, error, aliases = {}) {
  clearErrors(form)
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof ApiError) {
    const apiField = error.field ?? ''
    // `events[2]` and `headers.X-Team` are about the events and headers fields.
    const base = apiField.replace(/\[\d+\]$/, '')
    const candidates = [
      aliases[apiField],
      aliases[base],
      base,
      base.split('.')[0],
      aliases[error.code],
    ]
    const text = sentence(
      message.startsWith(`${apiField}: `) ? message.slice(apiField.length + 2) : message,
    )
    for (const name of candidates) {
      if (name && showFieldError(form, name, text)) return
    }
  }
  const slot = form.querySelector('.form-error')
  if (slot instanceof HTMLElement) {
    slot.textContent = message
    slot.hidden = false
  }
}

/** @param {string} text */
function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
