// @ts-check
// The API key lives in sessionStorage: it survives a reload but not closing the tab, and is never
// written anywhere a later visitor of a shared machine would find it.

/**
 * Who is signed in: the key, whether it is an admin key, and the tenant it acts for (an admin
 * key's chosen tenant, or a tenant key's own).
 *
 * @typedef {{ key: string, admin: boolean, tenant: string | null }} Session
 */

const storageKey = 'hookrelay.session'

/**
 * The current session, or null when signed out.
 *
 * @returns {Session | null}
 */
export function loadSession() {
  try {
    const value = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null')
    if (value === null || typeof value.key !== 'string') return null
    return { key: value.key, admin: value.admin === true, tenant: value.tenant ?? null }
  } catch {
    return null
  }
}

/**
 * Keeps `session` for this tab.
 *
 * @param {Session} session
 */
export function saveSession(session) {
  sessionStorage.setItem(storageKey, JSON.stringify(session))
}

/** Forgets the key (sign out). */
export function clearSession() {
  sessionStorage.removeItem(storageKey)
}
