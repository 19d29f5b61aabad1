// @ts-check
// Times, durations and numbers as people read them. Times are shown relative ("3 min ago") with
// the absolute local time on hover, since "when" matters more than "at what second".

const units = /** @type {const} */ ([
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
])

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' })

/**
 * "3 minutes ago", "in 5 seconds", "yesterday": how far `iso` is from `now`.
 *
 * @param {string} iso
 * @param {number} [now]
 */
export function relativeTime(iso, now = Date.now()) {
  const seconds = (Date.parse(iso) - now) / 1000
  if (!Number.isFinite(seconds)) return iso
  if (Math.abs(seconds) < 5) return 'just now'
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit)
  }
  return 'just now'
}

const absolute = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
})

/**
 * The local date and time of `iso`, to the second.
 *
 * @param {string} iso
 */
export function absoluteTime(iso) {
  const time = Date.parse(iso)
  return Number.isFinite(time) ? absolute.format(time) : iso
}

/**
 * "850 ms", "1.2 s", "2 min 5 s".
 *
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

const spanUnits = /** @type {const} */ ([
  ['d', 86_400],
  ['h', 3600],
  ['min', 60],
  ['s', 1],
])

/**
 * "4 d 21 h", "3 h 5 min", "3 h", "42 s": a span in its largest unit, and the next one down
 * when that is not zero.
 *
 * @param {number} ms
 */
export function formatSpan(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000))
  const i = spanUnits.findIndex(([, size]) => seconds >= size)
  if (i === -1) return '0 s'
  const [unit, size] = spanUnits[i] ?? spanUnits[3]
  const first = `${Math.floor(seconds / size)} ${unit}`
  const next = spanUnits[i + 1]
  const more = next === undefined ? 0 : Math.floor((seconds % size) / next[1])
  return next === undefined || more === 0 ? first : `${first} ${more} ${next[0]}`
}

/**
 * "97.5%" for 0.975; an en dash when there is nothing to measure.
 *
 * @param {number | null | undefined} rate
 */
export function formatPercent(rate) {
  if (rate === null || rate === undefined) return '–'
  const percent = rate * 100
  return `${percent === 100 || percent === 0 ? percent : percent.toFixed(1)}%`
}

/**
 * Indented JSON; a string that is not JSON is shown as it is.
 *
 * @param {unknown} value
 */
export function prettyJson(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2)
    } catch {
      return value
    }
  }
  return JSON.stringify(value, null, 2) ?? 'null'
}

/**
 * The value a `datetime-local` input shows for `date`, in local time.
 *
 * @param {Date} date
 */
export function toLocalInput(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0')
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  )
}

/**
 * The ISO time of a `datetime-local` value (local time), or null when it is empty or invalid.
 *
 * @param {string} value
 */
export function fromLocalInput(value) {
  if (value === '') return null
  const time = new Date(value).getTime()
  return Number.isFinite(time) ? new Date(time).toISOString() : null
}
