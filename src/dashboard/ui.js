// @ts-check
import { h } from './dom.js'
import { absoluteTime, formatSpan, relativeTime } from './format.js'

/** @typedef {import('./dom.js').Children} Children */

/** Badge colours by status word: calm for normal states, red only for what needs attention. */
const tones = /** @type {Record<string, string>} */ ({
  active: 'ok',
  succeeded: 'ok',
  paused: 'warn',
  pending: 'info',
  healthy: 'ok',
  disabled: 'bad',
  failed: 'bad',
  retrying: 'bad',
  failing: 'bad',
  cancelled: 'neutral',
})

/**
 * A status badge: active, paused, disabled; healthy, failing; pending, retrying, succeeded,
 * failed, cancelled.
 *
 * @param {string} status
 * @param {string} [label] the text, when it should say more than the status
 */
export function badge(status, label = status) {
  return h('span', { class: `badge badge-${tones[status] ?? 'neutral'}` }, label)
}

/**
 * What a failing subscription's run of failures comes to, in words: "failing for 3 h · 42
 * failures in a row · disables in 4 d 21 h"; null when it is not failing.
 *
 * @param {import('./types.js').Subscription} s
 * @param {number} [now]
 */
export function failingText(s, now = Date.now()) {
  if (s.health !== 'failing') return null
  const parts = [
    s.failingSince ? `failing for ${formatSpan(now - Date.parse(s.failingSince))}` : 'failing',
    `${s.consecutiveFailures} ${s.consecutiveFailures === 1 ? 'failure' : 'failures'} in a row`,
  ]
  if (s.disablesAt) {
    const left = Date.parse(s.disablesAt) - now
    parts.push(left > 0 ? `disables in ${formatSpan(left)}` : 'disables at its next failure')
  }
  return parts.join(' · ')
}

/**
 * A badge for an HTTP status: green for 2xx, red otherwise, "no answer" when there was none.
 *
 * @param {number | null | undefined} code
 */
export function statusCodeBadge(code) {
  if (code === null || code === undefined) return badge('failed', 'no answer')
  return badge(code >= 200 && code < 300 ? 'succeeded' : 'failed', String(code))
}

/**
 * A `<time>` that reads "3 minutes ago" and shows the exact local time on hover.
 *
 * @param {string | null | undefined} iso
 */
export function timeAgo(iso) {
  if (iso === null || iso === undefined) return h('span', { class: 'muted' }, 'never')
  return h('time', { datetime: iso, title: absoluteTime(iso) }, relativeTime(iso))
}

/**
 * The top of a page: its heading (focused after navigation, for keyboard and screen-reader
 * users), an optional line under it, and actions on the right.
 *
 * @param {Children} title
 * @param {{ sub?: Children, actions?: Children, back?: { href: string, label: string } }} [more]
 */
export function pageHeader(title, more = {}) {
  return h(
    'header',
    { class: 'page-header' },
    more.back && h('a', { class: 'back', href: more.back.href }, `← ${more.back.label}`),
    h(
      'div',
      { class: 'page-header-row' },
      h('div', { class: 'page-title' }, h('h1', { tabindex: '-1' }, title), more.sub),
      more.actions && h('div', { class: 'actions' }, more.actions),
    ),
  )
}

/**
 * An empty state that says what to do next.
 *
 * @param {{ title: string, text: Children, action?: Children, code?: string }} content
 */
export function emptyState(content) {
  return h(
    'div',
    { class: 'empty' },
    h('h2', {}, content.title),
    h('p', {}, content.text),
    content.code !== undefined && codeBlock(content.code, 'Copy command'),
    content.action && h('div', { class: 'actions' }, content.action),
  )
}

/**
 * Preformatted text in its own scrolling box, with a copy button.
 *
 * @param {string} text
 * @param {string} [copyLabel]
 */
export function codeBlock(text, copyLabel = 'Copy') {
  return h(
    'div',
    { class: 'code' },
    h('pre', { tabindex: '0' }, h('code', {}, text)),
    copyButton(text, copyLabel),
  )
}

/**
 * A button that copies `text` and says so.
 *
 * @param {string} text
 * @param {string} [label]
 */
export function copyButton(text, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'btn btn-small copy' }, label)
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text)
      notify('Copied to the clipboard')
    } catch {
      notify('The browser refused to copy; select the text instead', 'bad')
    }
  })
  return button
}

/**
 * A short message in the corner, read out by screen readers, gone after a few seconds.
 *
 * @param {string} message
 * @param {'ok' | 'bad'} [tone]
 */
export function notify(message, tone = 'ok') {
  const region = document.getElementById('toasts')
  if (region === null) return
  const toast = h('div', { class: `toast toast-${tone}`, role: 'status' }, message)
  region.append(toast)
  setTimeout(() => toast.remove(), 5000)
}

/**
 * An error in place of content, with what went wrong and a way to try again.
 *
 * @param {unknown} error
 * @param {() => void} [retry]
 */
export function errorBox(error, retry) {
  const message = error instanceof Error ? error.message : String(error)
  return h(
    'div',
    { class: 'alert alert-bad', role: 'alert' },
    h('p', {}, h('strong', {}, 'Something went wrong. '), message),
    retry && h('button', { type: 'button', class: 'btn', onclick: retry }, 'Try again'),
  )
}

/** A placeholder while a page loads. */
export function loading() {
  return h('p', { class: 'loading', role: 'status' }, 'Loading…')
}

/**
 * A definition list of label/value pairs; pairs whose value is null are left out.
 *
 * @param {[string, Children][]} pairs
 */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))),
  )
}

/**
 * HTTP headers as a two-column table (names lower-cased, sorted); "none" when empty.
 *
 * @param {Record<string, string> | undefined} headers
 * @param {string} caption
 */
export function headersTable(headers, caption) {
  const entries = Object.entries(headers ?? {}).sort(([a], [b]) => a.localeCompare(b))
  if (entries.length === 0) return h('p', { class: 'muted' }, `${caption}: none recorded`)
  return h(
    'table',
    { class: 'headers' },
    h('caption', {}, caption),
    h(
      'tbody',
      {},
      entries.map(([name, value]) =>
        h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, value)),
      ),
    ),
  )
}

/**
 * Event names as small chips; past `max`, the rest as "+N more".
 *
 * @param {string[]} events
 * @param {number} [max]
 */
export function eventChips(events, max = Infinity) {
  const shown = events.slice(0, max)
  return h(
    'span',
    { class: 'chips' },
    shown.map((e) => h('code', { class: 'chip' }, e)),
    events.length > shown.length &&
      h('span', { class: 'muted' }, `+${events.length - shown.length} more`),
  )
}

/** The Hookrelay mark (decorative: the name beside it says what it is). */
export function logo() {
  return h('img', {
    src: '/dashboard/favicon.svg',
    alt: '',
    width: '28',
    height: '28',
    class: 'logo',
  })
}

/**
 * A card with its heading and, when given, a labelled control beside it (a filter or a window).
 *
 * @param {string} title
 * @param {Children} body
 * @param {{ label: string, control: HTMLSelectElement }} [side]
 */
export function card(title, body, side) {
  return h(
    'section',
    { class: 'card' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', {}, title),
      side &&
        h(
          'div',
          { class: 'field inline-field' },
          h('label', { for: side.control.id }, side.label),
          side.control,
        ),
    ),
    body,
  )
}
