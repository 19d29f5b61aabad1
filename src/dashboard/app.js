// @ts-check
// The dashboard's entry point: the top bar, and which view the hash shows.
import { listTenants, whenUnauthorized } from './api.js'
import { h, replace } from './dom.js'
import { match, parseHash } from './router.js'
import { clearSession, loadSession, saveSession } from './session.js'
import { errorBox, loading, logo, notify } from './ui.js'
import { eventDetailView } from './views/event-detail.js'
import { eventTypesView } from './views/event-types.js'
import { eventsView } from './views/events.js'
import { signInView, tenantPickerView } from './views/signin.js'
import { subscriptionDetailView } from './views/subscription-detail.js'
import { subscriptionsView } from './views/subscriptions.js'

/** @typedef {import('./session.js').Session} Session */

/** @type {import('./router.js').Route<import('./views/context.js').View>[]} */
const routes = [
  { pattern: ['subscriptions'], view: subscriptionsView },
  { pattern: ['subscriptions', ':id'], view: subscriptionDetailView },
  { pattern: ['events'], view: eventsView },
  { pattern: ['events', ':id'], view: eventDetailView },
  { pattern: ['event-types'], view: eventTypesView },
]

const nav = [
  ['subscriptions', 'Subscriptions'],
  ['events', 'Events'],
  ['event-types', 'Event types'],
]

const main = /** @type {HTMLElement} */ (document.getElementById('main'))
const topbar = /** @type {HTMLElement} */ (document.getElementById('topbar'))
let controller = new AbortController()
/** @type {import('./types.js').Tenant[] | null} the admin's tenants, loaded once per sign-in */
let tenants = null

whenUnauthorized(() => {
  clearSession()
  notify('That key no longer works. Sign in again.', 'bad')
  void render()
})
window.addEventListener('hashchange', () => void render())
// The skip link must not change the hash, which is the route.
document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault()
  ;(main.querySelector('h1') ?? main).focus()
})
void render()

/** Draws the page the hash points at, or sign-in, or the admin's tenant picker. */
async function render() {
  controller.abort()
  controller = new AbortController()
  const { signal } = controller
  const session = loadSession()
  try {
    if (session === null) {
      tenants = null
      topbar.hidden = true
      signInView(main, render)
      return
    }
    if (session.admin && session.tenant === null) {
      topbar.hidden = true
      replace(main, loading())
      await tenantPickerView(main, session, render)
      focusHeading()
      return
    }
    const { segments, query } = parseHash(location.hash)
    const found = match(routes, segments)
    if (found === null) {
      if (segments.length === 0) location.replace('#/subscriptions')
      else replace(main, notFound())
      return
    }
    drawTopbar(session, segments[0] ?? '')
    replace(main, loading())
    await found.view({ main, params: found.params, query, signal, session, refresh: render })
    if (!signal.aborted) focusHeading()
  } catch (err) {
    if (signal.aborted) return
    replace(
      main,
      errorBox(err, () => void render()),
    )
  }
}

/** Moves focus to the new page's heading, so keyboard and screen-reader users start there. */
function focusHeading() {
  const heading = main.querySelector('h1')
  if (heading instanceof HTMLElement) heading.focus({ preventScroll: true })
}

/**
 * The bar on top: the name, the sections, the tenant (a switcher for admin keys) and sign out.
 *
 * @param {Session} session
 * @param {string} section
 */
function drawTopbar(session, section) {
  topbar.hidden = false
  const signOut = () => {
    clearSession()
    // The next key may belong to another tenant, whose ids the current address would not find.
    history.replaceState(null, '', location.pathname)
    void render()
  }
  replace(
    topbar,
    h(
      'div',
      { class: 'topbar-inner' },
      h('a', { class: 'brand', href: '#/subscriptions' }, logo(), 'Hookrelay'),
      h(
        'nav',
        { 'aria-label': 'Sections' },
        h(
          'ul',
          {},
          nav.map(([path, label]) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `#/${path}`, 'aria-current': path === section ? 'page' : false },
                label,
              ),
            ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'account' },
        session.admin
          ? tenantSwitch(session)
          : h('span', { class: 'tenant' }, 'Tenant ', h('strong', {}, session.tenant ?? '')),
        h('button', { type: 'button', class: 'btn btn-small', onclick: signOut }, 'Sign out'),
      ),
    ),
  )
}

/**
 * A tenant select for admin keys; switching goes to the subscriptions list, since the ids of
 * the page shown belong to the tenant left.
 *
 * @param {Session} session
 */
function tenantSwitch(session) {
  const select = h(
    'select',
    { id: 'tenant-switch' },
    h('option', { value: session.tenant ?? '' }, session.tenant ?? ''),
  )
  const fill = (/** @type {import('./types.js').Tenant[]} */ list) => {
    replace(
      select,
      list.map((t) => h('option', { value: t.id, selected: t.id === session.tenant }, t.id)),
    )
  }
  if (tenants) fill(tenants)
  else
    listTenants().then(
      (page) => {
        tenants = page.data
        fill(tenants)
      },
      () => {},
    )
  select.addEventListener('change', () => {
    saveSession({ ...session, tenant: select.value })
    notify(`Now acting for ${select.value}`)
    if (location.hash === '#/subscriptions') void render()
    else location.hash = '#/subscriptions'
  })
  return h('span', { class: 'tenant' }, h('label', { for: 'tenant-switch' }, 'Tenant'), select)
}

function notFound() {
  return h(
    'div',
    { class: 'empty' },
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', {}, 'Nothing lives at this address.'),
    h('a', { class: 'btn', href: '#/subscriptions' }, 'Go to subscriptions'),
  )
}
