// @ts-check
import { ApiError, listTenants, whoAmI } from '../api.js'
import { h, replace } from '../dom.js'
import { clearErrors, field, formError, showFieldError, showProblem } from '../form.js'
import { clearSession, saveSession } from '../session.js'
import { emptyState, logo } from '../ui.js'
import { curl } from './context.js'

/** @typedef {import('../session.js').Session} Session */

/**
 * The sign-in page: an API key, checked against `GET /webhooks/me` before it is kept. A tenant
 * key goes straight in; an admin key then picks a tenant.
 *
 * @param {HTMLElement} main
 * @param {() => void} done called once signed in
 */
export function signInView(main, done) {
  const key = h('input', {
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    autofocus: true,
  })
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in')
  const form = h(
    'form',
    { class: 'form', novalidate: true },
    formError(),
    field({
      label: 'API key',
      name: 'key',
      control: key,
      hint: 'Kept in this browser tab only, and forgotten when the tab closes.',
    }),
    submit,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearErrors(form)
    const value = key.value.trim()
    if (value === '') {
      showFieldError(form, 'key', 'Paste an API key: a tenant key, or an admin key.')
      return
    }
    submit.disabled = true
    try {
      const me = await whoAmI(value)
      const admin = me.tenant === null && me.roles.includes('admin')
      if (!admin && !me.roles.includes('user')) {
        showFieldError(form, 'key', 'This key cannot read subscriptions: it needs the user role.')
        return
      }
      saveSession({ key: value, admin, tenant: me.tenant })
      done()
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        showFieldError(form, 'key', 'This key is not valid. Check for missing characters.')
      } else {
        showProblem(form, err)
      }
    } finally {
      submit.disabled = false
    }
  })
  replace(
    main,
    signInCard('Sign in', 'See what your webhooks sent, what failed and why, and fix it.', form),
  )
  // Straight to the only thing to do here.
  key.focus()
}

/**
 * For an admin key: which tenant to act for (sent as `Hookrelay-Tenant`).
 *
 * @param {HTMLElement} main
 * @param {Session} session
 * @param {() => void} done called once a tenant is chosen
 */
export async function tenantPickerView(main, session, done) {
  const { data: tenants } = await listTenants()
  const signOut = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-link',
      onclick: () => {
        clearSession()
        done()
      },
    },
    'Sign out',
  )
  if (tenants.length === 0) {
    replace(
      main,
      h(
        'div',
        { class: 'signin card' },
        emptyState({
          title: 'No tenants yet',
          text: 'Webhooks belong to tenants. Create one with your admin key, then reload:',
          code: curl('POST', '/admin/tenants', 'ADMIN_KEY', { id: 'acme' }),
          action: signOut,
        }),
      ),
    )
    return
  }
  const select = h(
    'select',
    {},
    tenants.map((t) =>
      h('option', { value: t.id }, t.name && t.name !== t.id ? `${t.name} (${t.id})` : t.id),
    ),
  )
  const form = h(
    'form',
    { class: 'form' },
    field({
      label: 'Tenant',
      name: 'tenant',
      control: select,
      hint: 'An admin key acts for one tenant at a time; you can switch later.',
    }),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Continue'),
    signOut,
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    saveSession({ ...session, tenant: select.value })
    done()
  })
  replace(main, signInCard('Choose a tenant', 'You signed in with an admin key.', form))
}

/**
 * The small centred card of the sign-in steps.
 *
 * @param {string} title
 * @param {string} text
 * @param {HTMLFormElement} form
 */
function signInCard(title, text, form) {
  return h(
    'div',
    { class: 'signin card' },
    h('p', { class: 'brand-large' }, logo(), 'Hookrelay'),
    h('h1', { tabindex: '-1' }, title),
    h('p', { class: 'muted' }, text),
    form,
  )
}
