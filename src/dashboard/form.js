// @ts-check
import { ApiError } from './api.js'
import { h, uid } from './dom.js'
import { plainMessage } from './field-messages.js'

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
 * Shows `message` beside the field `name` of `form` and, unless `focus` is false, focuses its
 * control; false when the form has no such field.
 *
 * @param {HTMLElement} form
 * @param {string} name
 * @param {string} message
 * @param {boolean} [focus]
 */
export function showFieldError(form, name, message, focus = true) {
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
  if (focus) control.focus()
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
 * Puts an API problem where it belongs: each invalid field's message, in plain words, beside the
 * form field it is about (through `aliases`, API field or code → form field, when they differ),
 * focusing the first of them; whatever names no field of the form goes at the top. `sent` is the refused
 * body, for messages that quote a value.
 *
 * @param {HTMLElement} form
 * @param {unknown} error
 * @param {Record<string, string>} [aliases]
 * @param {unknown} [sent]
 */
export function showProblem(form, error, aliases = {}, sent = undefined) {
  clearErrors(form)
  const message = error instanceof Error ? error.message : String(error)
  /** @type {string[]} */
  const elsewhere = []
  if (error instanceof ApiError) {
    const field = error.field ?? ''
    const problems =
      error.errors.length > 0
        ? error.errors
        : [
            {
              field,
              message: message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message,
            },
          ]
    /** @type {Set<string>} */
    const shown = new Set()
    for (const problem of problems) {
      const name = formFieldOf(form, problem.field, error.code, aliases)
      if (name === undefined) {
        elsewhere.push(
          problem.field === '' ? problem.message : `${problem.field}: ${problem.message}`,
        )
      } else if (!shown.has(name)) {
        // One message a field: the first, which is what to fix first.
        showFieldError(form, name, plainMessage(problem, name, sent), false)
        shown.add(name)
      }
    }
    // The first marked field as the form reads, which need not be the API's first.
    const first = form.querySelector('[aria-invalid="true"]')
    if (first instanceof HTMLElement) first.focus()
  } else {
    elsewhere.push(message)
  }
  const slot = form.querySelector('.form-error')
  if (elsewhere.length > 0 && slot instanceof HTMLElement) {
    slot.textContent = elsewhere.join(' ')
    slot.hidden = false
  }
}

/**
 * The name of the form field an API field (or, for a problem without one, its code) is about;
 * `events[2]` and `headers.X-Team` are about the events and headers fields.
 *
 * @param {HTMLElement} form
 * @param {string} apiField
 * @param {string} code
 * @param {Record<string, string>} aliases
 */
function formFieldOf(form, apiField, code, aliases) {
  const base = apiField.replace(/\[\d+\]$/, '')
  const candidates = [aliases[apiField], aliases[base], base, base.split('.')[0], aliases[code]]
  return candidates.find(
    (name) => name && form.querySelector(`[data-field="${CSS.escape(name)}"]`) !== null,
  )
}
