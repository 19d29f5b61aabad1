/**
 * Conversions between epoch milliseconds (columns, clocks) and the ISO 8601 strings domain objects
 * carry. Each remembers its last answer: the delivery path converts the same millisecond for every
 * attempt started in it, and a conversion costs more than the comparison that skips it.
 */

let lastMs = Number.NaN
let lastIso = ''

/** Epoch ms to an ISO 8601 string, `1970-01-01T00:00:00.000Z` style. */
export function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}

let parsedIso = ''
let parsedMs = Number.NaN

/** An ISO 8601 string to epoch ms; throws `TypeError` for anything else. */
export function ms(isoString: string): number {
  if (isoString !== parsedIso) {
    const value = Date.parse(isoString)
    if (Number.isNaN(value)) throw new TypeError(`not an ISO 8601 time: ${isoString}`)
    parsedIso = isoString
    parsedMs = value
  }
  return parsedMs
}
