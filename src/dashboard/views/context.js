// @ts-check

/**
 * What every view gets: where to draw, the route's parameters and query, a signal that aborts
 * when the user navigates away, and a way to draw the current page again.
 *
 * @typedef {object} ViewContext
 * @property {HTMLElement} main
 * @property {Record<string, string>} params
 * @property {URLSearchParams} query
 * @property {AbortSignal} signal
 * @property {import('../session.js').Session} session
 * @property {() => void} refresh
 */

/** @typedef {(context: ViewContext) => Promise<void>} View */

/**
 * A copy-paste curl command for this server, for the empty states: the key is left as a shell
 * variable, never filled in.
 *
 * @param {string} method
 * @param {string} path
 * @param {string} keyVariable the shell variable holding the key, such as HOOKRELAY_KEY
 * @param {unknown} body
 */
export function curl(method, path, keyVariable, body) {
  return [
    `curl -sS -X ${method} ${location.origin}${path} \\`,
    `  -H "authorization: Bearer $${keyVariable}" -H 'content-type: application/json' \\`,
    `  -d '${JSON.stringify(body)}'`,
  ].join('\n')
}
