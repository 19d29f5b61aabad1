// @ts-check
import { listEventTypes } from '../api.js'
import { h, replace } from '../dom.js'

/**
 * The event names and patterns written in the events field: separated by commas or spaces.
 *
 * @param {string} text
 */
export function eventList(text) {
  return text.split(/[\s,]+/).filter((e) => e !== '')
}

/**
 * A checkbox for each event type the catalogue knows (registered, or published without a
 * schema), kept in step with the events field `input`: ticking a type adds it to the field,
 * unticking removes it, and typing ticks the types the field names. The field stays what is
 * sent, so patterns such as order.* are written there. Hidden until the catalogue loads, and
 * left hidden when it cannot: the field works without it.
 *
 * @param {HTMLInputElement} input
 */
export function eventPicker(input) {
  const list = h('div', { class: 'event-picker-list' })
  const picker = h(
    'fieldset',
    { class: 'event-picker', hidden: true },
    h('legend', {}, 'Or pick from the event types seen so far'),
    list,
  )
  /** @type {HTMLInputElement[]} */
  let boxes = []
  const tick = () => {
    const named = new Set(eventList(input.value))
    for (const box of boxes) box.checked = named.has(box.value)
  }
  /** @param {HTMLInputElement} box */
  const toggle = (box) => {
    const events = eventList(input.value).filter((e) => e !== box.value)
    if (box.checked) events.push(box.value)
    input.value = events.join(', ')
  }
  input.addEventListener('input', tick)
  listEventTypes()
    .then(({ data }) => {
      if (data.length === 0) return
      boxes = data.map((type) =>
        h('input', {
          type: 'checkbox',
          value: type.name,
          onchange: (/** @type {Event} */ e) => toggle(/** @type {HTMLInputElement} */ (e.target)),
        }),
      )
      replace(
        list,
        data.map((type, i) =>
          h(
            'label',
            {},
            boxes[i],
            h('code', {}, type.name),
            type.registered ? null : h('span', { class: 'muted small' }, 'seen, no schema'),
          ),
        ),
      )
      tick()
      picker.hidden = false
    })
    // Without the catalogue the field alone still does the job; the form shows no error for it.
    .catch(() => {})
  return picker
}
