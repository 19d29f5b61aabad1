// @ts-check
import { h } from './dom.js'

/** @typedef {import('./dom.js').Children} Children */

/**
 * Opens a modal `<dialog>`: focus stays inside, Escape and the × button close it, and focus goes
 * back to where it was. Resolves with the value passed to `close` ('' when dismissed).
 *
 * @param {{ title: string, body: Children, actions?: Children, wide?: boolean }} content
 * @returns {{ dialog: HTMLDialogElement, close: (value?: string) => void, closed: Promise<string> }}
 */
export function openDialog(content) {
  const opener = document.activeElement
  const titleId = `dialog-title-${Date.now()}`
  const dialog = h(
    'dialog',
    { class: content.wide ? 'dialog dialog-wide' : 'dialog', 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', { id: titleId }, content.title),
      h(
        'button',
        { type: 'button', class: 'btn btn-icon', 'aria-label': 'Close', onclick: () => close('') },
        '×',
      ),
    ),
    h('div', { class: 'dialog-body' }, content.body),
    content.actions && h('div', { class: 'dialog-actions' }, content.actions),
  )
  /** @param {string} [value] */
  const close = (value = '') => {
    if (dialog.open) dialog.close(value)
  }
  const closed = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove()
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
      resolve(dialog.returnValue)
    })
  })
  document.body.append(dialog)
  dialog.showModal()
  return { dialog, close, closed: /** @type {Promise<string>} */ (closed) }
}

/**
 * Asks before something that cannot be undone. Cancel has the focus, so Enter does no harm.
 *
 * @param {{ title: string, message: Children, confirm: string, danger?: boolean }} question
 * @returns {Promise<boolean>}
 */
export async function confirmDialog(question) {
  const { close, closed } = openDialog({
    title: question.title,
    body: h('p', {}, question.message),
    actions: [
      h(
        'button',
        { type: 'button', class: 'btn', autofocus: true, onclick: () => close('') },
        'Cancel',
      ),
      h(
        'button',
        {
          type: 'button',
          class: question.danger ? 'btn btn-danger' : 'btn btn-primary',
          onclick: () => close('confirm'),
        },
        question.confirm,
      ),
    ],
  })
  return (await closed) === 'confirm'
}
