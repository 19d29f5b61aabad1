// @ts-check
// What to tell a person about a field the API refused: plain words saying what to do, not the
// JSON Schema rule that failed. The API's own words stay the fallback for anything not listed.

/** @typedef {import('./types.js').FieldProblem} FieldProblem */
/** @typedef {(params: Record<string, any>, value: unknown) => string} Words */

const number = new Intl.NumberFormat('en')
const giveUrl = () => 'Give the subscription a URL.'
const giveName = () => 'Give the subscription a name.'
const pickEvent = () => 'Pick at least one event.'

/**
 * Words by API field, then by the keyword that failed. `events[]` stands for any one event
 * (`events[2]`), `headers.*` for any one header.
 *
 * @type {Record<string, Record<string, Words>>}
 */
const byField = {
  name: {
    required: giveName,
    minLength: giveName,
    maxLength: (p) => `Keep the name to ${p.limit} characters.`,
  },
  config: { required: giveUrl },
  'config.url': {
    required: giveUrl,
    minLength: giveUrl,
    pattern: () => 'The URL must start with https:// or http://.',
    maxLength: (p) => `Keep the URL to ${number.format(p.limit)} characters.`,
  },
  events: {
    required: pickEvent,
    minItems: pickEvent,
    type: pickEvent,
    maxItems: (p) => `List at most ${p.limit} events; a pattern such as order.* covers many.`,
  },
  'events[]': {
    pattern: (_, value) =>
      `“${value}” is not an event name (order.created) or pattern (order.*, *).`,
    maxLength: (p) => `Keep each event to ${p.limit} characters.`,
  },
  rateLimit: {
    minimum: (p) =>
      `Rate limit must be at least ${p.limit} deliveries per second; leave it empty for no limit.`,
    maximum: (p) => `Rate limit can be at most ${number.format(p.limit)} deliveries per second.`,
    type: () => 'Rate limit must be a number of deliveries per second.',
  },
  description: {
    maxLength: (p) => `Keep the description to ${number.format(p.limit)} characters.`,
  },
  headers: { maxProperties: (p) => `Send at most ${p.limit} custom headers.` },
  'headers.*': {
    maxLength: (p) => `Keep each header value to ${number.format(p.limit)} characters.`,
  },
}

/**
 * The sentence to show beside the form field `shownAt` about `problem`. `sent` is the body that
 * was refused, so a message can quote the value.
 *
 * @param {FieldProblem} problem
 * @param {string} shownAt
 * @param {unknown} [sent]
 */
export function plainMessage(problem, shownAt, sent) {
  const { field, keyword } = problem
  const key = field.replace(/\[\d+\]$/, '[]').replace(/^headers\..+$/, 'headers.*')
  const words = keyword === undefined ? undefined : byField[key]?.[keyword]
  if (words) return words(problem.params ?? {}, valueAt(sent, field))
  return tidy(problem, shownAt)
}

/**
 * The API's message as a sentence of its own: ajv's capitals and wording softened, and the
 * subject named when it is one part of the form field (`headers.X-Team`, `events[1]`).
 *
 * @param {FieldProblem} problem
 * @param {string} shownAt
 */
function tidy({ field, message, params }, shownAt) {
  let text = message
    .replace(/^must have required property '.*'$/, 'is required')
    .replace(/^must NOT have fewer than 1 characters$/, 'must not be empty')
    .replace(/^must NOT have (fewer|more) than (\d+)/, (_, side, n) =>
      side === 'fewer' ? `must have at least ${n}` : `must have at most ${n}`,
    )
    .replace(/^must NOT have additional properties$/, () =>
      typeof params?.additionalProperty === 'string'
        ? `has no field ${params.additionalProperty}`
        : 'has a field it does not know',
    )
    .replace(/\bNOT\b/g, 'not')
  const part = field.startsWith(shownAt)
    ? /^(?:\.(.+)|\[(\d+)\])$/.exec(field.slice(shownAt.length))
    : null
  if (part && /^(is|must|has)\b/.test(text)) {
    text = `${part[1] ?? `Item ${Number(part[2]) + 1}`} ${text}`
  }
  text = text.charAt(0).toUpperCase() + text.slice(1)
  return /[.!?]$/.test(text) ? text : `${text}.`
}

/**
 * The value at `path` (`config.url`, `events[1]`) in `body`.
 *
 * @param {unknown} body
 * @param {string} path
 * @returns {unknown}
 */
function valueAt(body, path) {
  /** @type {any} */
  let value = body
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    value = value?.[part]
  }
  return value
}
