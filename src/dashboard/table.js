// @ts-check
import { h } from './dom.js'

/** @typedef {import('./dom.js').Children} Children */

/**
 * A table that becomes stacked cards on narrow screens (the CSS shows each cell's column name
 * from its `data-label`), inside a box that scrolls on its own if it must.
 *
 * @param {{ columns: string[], caption: string }} spec
 * @param {Node[]} rows
 */
export function dataTable(spec, rows) {
  const body = h('tbody', {}, rows)
  const element = h(
    'div',
    { class: 'table-box' },
    h(
      'table',
      { class: 'data' },
      h('caption', { class: 'visually-hidden' }, spec.caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          spec.columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      body,
    ),
  )
  return { element, body }
}

/**
 * A row of `dataTable`: one cell per column, labelled with the column's name.
 *
 * @param {string[]} columns
 * @param {Children[]} cells
 * @param {Record<string, unknown>} [attrs]
 */
export function dataRow(columns, cells, attrs = {}) {
  return h(
    'tr',
    attrs,
    cells.map((cell, i) => h('td', { 'data-label': columns[i] ?? '' }, cell)),
  )
}

/**
 * "Load more" under a list: fetches the page after `cursor`, appends its rows to `body`, and says
 * how many are shown; at the end it says so instead. Pages stay small, so a tenant with 10,000
 * events never loads them all.
 *
 * @param {{ body: HTMLElement, cursor: string | null, shown: number, noun: string,
 *   load: (cursor: string) => Promise<{ rows: Node[], next: string | null }> }} spec
 */
export function pager(spec) {
  let { cursor, shown } = spec
  const count = h('p', { class: 'muted', 'aria-live': 'polite' })
  const button = h('button', { type: 'button', class: 'btn' }, 'Load more')
  const update = () => {
    count.textContent =
      cursor === null
        ? `All ${shown} ${spec.noun} shown.`
        : `Showing the first ${shown} ${spec.noun}.`
    button.hidden = cursor === null
  }
  button.addEventListener('click', async () => {
    if (cursor === null) return
    button.disabled = true
    button.textContent = 'Loading…'
    try {
      const page = await spec.load(cursor)
      spec.body.append(...page.rows)
      shown += page.rows.length
      cursor = page.next
    } catch (err) {
      count.textContent = `Could not load more: ${err instanceof Error ? err.message : String(err)}`
      return
    } finally {
      button.disabled = false
      button.textContent = 'Load more'
    }
    update()
  })
  update()
  return h('div', { class: 'pager' }, count, button)
}
