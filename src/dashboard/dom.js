// @ts-check
// Every node the dashboard shows is built here from text nodes and attributes, never from HTML
// strings, so data from the API (names, URLs, payloads, response bodies) can never become markup.

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Child | Child[]} Children */
/** @typedef {Record<string, unknown>} Attrs */

/**
 * An HTML element with attributes and children. `on<event>` attributes that are functions become
 * listeners; `true` is an empty attribute, and `false`, null and undefined leave it out.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag)
  setAttributes(element, attrs)
  append(element, children)
  return element
}

const svgNs = 'http://www.w3.org/2000/svg'

/**
 * An SVG element, with the same attribute rules as `h`.
 *
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Children} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(svgNs, tag)
  setAttributes(element, attrs)
  append(element, children)
  return element
}

/**
 * @param {Element} element
 * @param {Attrs} attrs
 */
function setAttributes(element, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), /** @type {EventListener} */ (value))
    } else if (name === 'value' && 'value' in element) {
      // The property, not the attribute: the attribute is only the initial value of a field.
      ;/** @type {HTMLInputElement} */ (element).value = String(value)
    } else {
      element.setAttribute(name, value === true ? '' : String(value))
    }
  }
}

/**
 * Appends children (text, nodes, nested arrays); falsy ones are skipped so callers can write
 * `condition && h(...)`.
 *
 * @param {Node} parent
 * @param {Children[]} children
 */
export function append(parent, children) {
  for (const child of children.flat(2)) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/**
 * Replaces everything inside `parent` with `children`.
 *
 * @param {Element} parent
 * @param {...Children} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren()
  append(parent, children)
}

let counter = 0

/**
 * A page-unique id for tying labels, hints and errors to their fields.
 *
 * @param {string} prefix
 */
export function uid(prefix) {
  counter += 1
  return `${prefix}-${counter}`
}
