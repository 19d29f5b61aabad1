// @ts-check
// Hash routing (#/subscriptions/sub_…): the server serves one page, links work without it
// knowing the routes, and back/forward and reload keep the place.

/**
 * Where the hash points: its path segments and query.
 *
 * @typedef {{ segments: string[], query: URLSearchParams }} Location
 */

/**
 * A view for a pattern such as `['events', ':id']`; `:name` segments become `params.name`.
 *
 * @template V
 * @typedef {{ pattern: string[], view: V }} Route
 */

/**
 * Parses `#/events/evt_1?status=failed`.
 *
 * @param {string} hash
 * @returns {Location}
 */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, '')
  const mark = text.indexOf('?')
  const path = mark === -1 ? text : text.slice(0, mark)
  const query = new URLSearchParams(mark === -1 ? '' : text.slice(mark + 1))
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s)
      } catch {
        return s
      }
    })
  return { segments, query }
}

/**
 * The route matching `segments` and its parameters, or null.
 *
 * @template V
 * @param {Route<V>[]} routes
 * @param {string[]} segments
 * @returns {{ view: V, params: Record<string, string> } | null}
 */
export function match(routes, segments) {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue
    /** @type {Record<string, string>} */
    const params = {}
    const ok = route.pattern.every((part, i) => {
      const segment = /** @type {string} */ (segments[i])
      if (part.startsWith(':')) params[part.slice(1)] = segment
      return part.startsWith(':') || part === segment
    })
    if (ok) return { view: route.view, params }
  }
  return null
}

/**
 * A hash link: `link('events', 'evt_1')` → `#/events/evt_1`, with an optional query of the
 * non-empty values.
 *
 * @param {string[]} segments
 * @param {Record<string, string | null | undefined>} [query]
 */
export function link(segments, query = {}) {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(name, value)
  }
  const text = params.toString()
  return `#/${segments.map(encodeURIComponent).join('/')}${text === '' ? '' : `?${text}`}`
}
