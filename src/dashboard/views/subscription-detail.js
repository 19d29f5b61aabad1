// @ts-check
import {
  deleteSubscription,
  getSubscription,
  testSubscription,
  updateSubscription,
} from '../api.js'
import { confirmDialog } from '../dialog.js'
import { h, replace } from '../dom.js'
import { formatDuration } from '../format.js'
import {
  codeBlock,
  badge,
  errorBox,
  failingText,
  notify,
  pageHeader,
  statusCodeBadge,
} from '../ui.js'
import { deliveriesSection } from './deliveries.js'
import { detailsCard, recoverCard, secretCard } from './subscription-panels.js'
import { statsSection } from './subscription-stats.js'
import { openSubscriptionForm } from './subscription-form.js'

/** @typedef {import('../types.js').Subscription} Subscription */

/**
 * `#/subscriptions/sub_…`: one subscription with its actions (send test, pause or resume, edit,
 * delete), its secret, charts of the last 24 hours, its deliveries and recovery.
 *
 * @type {import('./context.js').View}
 */
export async function subscriptionDetailView({ main, params, signal }) {
  let subscription = await getSubscription(params.id ?? '', signal)
  const header = h('div')
  const details = h('div')
  const testResult = h('section', {
    class: 'card test-result',
    'aria-live': 'polite',
    hidden: true,
  })

  /** @param {Subscription} next */
  const show = (next) => {
    subscription = next
    replace(header, headerOf(subscription, actions))
    replace(details, detailsCard(subscription))
  }
  const actions = {
    /** @param {HTMLButtonElement} button */
    test: async (button) => {
      button.disabled = true
      button.textContent = 'Sending…'
      try {
        const result = await testSubscription(subscription.id)
        testResult.hidden = false
        replace(
          testResult,
          h('h2', {}, 'Test ping'),
          h(
            'p',
            { class: 'inline' },
            statusCodeBadge(result.statusCode),
            result.statusCode === null
              ? `No answer after ${formatDuration(result.durationMs)}: ${result.error ?? 'unknown error'}`
              : `Receiver answered ${result.statusCode} in ${formatDuration(result.durationMs)}`,
          ),
          result.response === ''
            ? h('p', { class: 'muted' }, 'The response body was empty.')
            : codeBlock(result.response),
        )
      } catch (err) {
        testResult.hidden = false
        replace(testResult, errorBox(err))
      } finally {
        button.disabled = false
        button.textContent = 'Send test'
      }
    },
    /** @param {'active' | 'paused'} state */
    setState: async (state) => {
      try {
        show(await updateSubscription(subscription.id, { state }))
        notify(state === 'paused' ? 'Paused: new events are not delivered to it' : 'Active again')
        // The button was drawn again with the other label; keep the keyboard user on it.
        const toggle = header.querySelector('[data-action="state"]')
        if (toggle instanceof HTMLElement) toggle.focus()
      } catch (err) {
        notify(err instanceof Error ? err.message : String(err), 'bad')
      }
    },
    edit: async () => {
      const saved = await openSubscriptionForm(subscription)
      if (saved) {
        show(saved)
        notify('Saved')
      }
    },
    remove: async () => {
      const sure = await confirmDialog({
        title: `Delete ${subscription.name}?`,
        message:
          'Its pending deliveries are cancelled and its history stops being shown. This cannot be undone.',
        confirm: 'Delete subscription',
        danger: true,
      })
      if (!sure) return
      try {
        await deleteSubscription(subscription.id)
        notify(`Deleted ${subscription.name}`)
        location.hash = '#/subscriptions'
      } catch (err) {
        notify(err instanceof Error ? err.message : String(err), 'bad')
      }
    },
  }
  show(subscription)
  replace(
    main,
    header,
    testResult,
    h('div', { class: 'grid-2' }, details, secretCard(subscription.id)),
    statsSection(subscription.id, signal),
    recoverCard(subscription),
    deliveriesSection(subscription.id, signal),
  )
}

/**
 * The page header: name, state, URL and the action buttons.
 *
 * @param {Subscription} s
 * @param {{ test: (b: HTMLButtonElement) => void, setState: (s: 'active' | 'paused') => void,
 *   edit: () => void, remove: () => void }} actions
 */
function headerOf(s, actions) {
  const test = h('button', { type: 'button', class: 'btn btn-primary' }, 'Send test')
  test.addEventListener('click', () => actions.test(test))
  const toggle =
    s.state === 'active'
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'state',
            onclick: () => actions.setState('paused'),
          },
          'Pause',
        )
      : h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'state',
            onclick: () => actions.setState('active'),
          },
          s.state === 'paused' ? 'Resume' : 'Enable',
        )
  return [
    pageHeader(s.name, {
      back: { href: '#/subscriptions', label: 'Subscriptions' },
      sub: h(
        'p',
        { class: 'inline' },
        badge(s.state),
        s.health === 'failing' && badge('failing'),
        h('span', { class: 'url' }, s.config.url),
      ),
      actions: [
        test,
        toggle,
        h('button', { type: 'button', class: 'btn', onclick: actions.edit }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: actions.remove }, 'Delete'),
      ],
    }),
    s.state === 'disabled' &&
      h(
        'div',
        { class: 'alert alert-bad', role: 'note' },
        h('p', {}, h('strong', {}, 'Disabled. '), s.disabledReason ?? 'Its receiver kept failing.'),
        h('p', {}, 'Fix the receiver, then Enable it and recover what failed since it broke.'),
      ),
    s.state !== 'disabled' &&
      s.health === 'failing' &&
      h(
        'div',
        { class: 'alert alert-bad', role: 'alert' },
        h('p', {}, h('strong', {}, 'Failing. '), capitalized(failingText(s) ?? ''), '.'),
        h(
          'p',
          {},
          'Its deliveries wait for their retries. Fix the receiver, then Recover (below) ' +
            'sends them all again now.',
        ),
      ),
  ]
}

/** @param {string} text */
function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
