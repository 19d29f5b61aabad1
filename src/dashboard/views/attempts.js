// @ts-check
import { h } from '../dom.js'
import { absoluteTime, formatDuration, prettyJson } from '../format.js'
import { codeBlock, facts, headersTable, statusCodeBadge, timeAgo } from '../ui.js'

/** @typedef {import('../types.js').Attempt} Attempt */

/**
 * A delivery's attempts, newest first and open, each with what was sent and what came back.
 *
 * @param {Attempt[]} attempts oldest first, as the API lists them
 */
export function attemptList(attempts) {
  if (attempts.length === 0) return h('p', { class: 'muted' }, 'Not attempted yet.')
  const numbered = attempts
    .map((attempt, i) => ({ attempt, number: i + 1 }))
    .sort((a, b) => Date.parse(b.attempt.startedAt) - Date.parse(a.attempt.startedAt))
  return h(
    'ol',
    { class: 'attempts', reversed: true },
    numbered.map(({ attempt, number }, i) => h('li', {}, attemptDetails(attempt, number, i === 0))),
  )
}

/**
 * @param {Attempt} a
 * @param {number} number
 * @param {boolean} open
 */
function attemptDetails(a, number, open) {
  const body = a.responseBody ?? ''
  return h(
    'details',
    { class: 'attempt', open, 'data-attempt': a.id },
    h(
      'summary',
      {},
      h(
        'span',
        { class: 'inline' },
        statusCodeBadge(a.statusCode),
        h('strong', {}, `Attempt ${number}`),
        a.trigger === 'manual' && h('span', { class: 'chip' }, 'manual'),
        h('span', { class: 'muted' }, formatDuration(a.durationMs)),
        timeAgo(a.startedAt),
      ),
    ),
    h(
      'div',
      { class: 'attempt-body' },
      facts([
        ['Started', absoluteTime(a.startedAt)],
        ['Duration', formatDuration(a.durationMs)],
        ['Trigger', a.trigger === 'manual' ? 'By hand (Retry now)' : 'Scheduled'],
        ['Response status', a.statusCode === null ? 'No answer' : String(a.statusCode)],
        ['Error', a.error ? h('span', { class: 'wrap' }, a.error) : null],
      ]),
      h(
        'div',
        { class: 'grid-2' },
        headersTable(a.requestHeaders, 'Request headers'),
        headersTable(a.responseHeaders, 'Response headers'),
      ),
      h('h4', {}, 'Response body'),
      body === '' ? h('p', { class: 'muted' }, 'Empty.') : codeBlock(prettyJson(body)),
    ),
  )
}
