// @ts-check
// Where the ticks of the charts' axes go: round numbers up the side, round local times along
// the bottom. Pure functions of numbers, apart from the local time zone.

const minute = 60_000

/**
 * `count`-ish round steps from 0 to at least `max`: [0, 5, 10, 15, 20]. Whole numbers when
 * `integer`.
 *
 * @param {number} max
 * @param {number} count
 * @param {boolean} integer
 */
export function niceTicks(max, count, integer) {
  const raw = Math.max(max, integer ? 1 : 1e-6) / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const fraction = raw / power
  let step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
  if (integer) step = Math.max(1, Math.round(step))
  const ticks = [0]
  while (/** @type {number} */ (ticks.at(-1)) < max) ticks.push(ticks.length * step)
  return ticks.length === 1 ? [0, step] : ticks
}

// Tick spacings in minutes, from the finest; the first that fits the width is used.
const tickSteps = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880]

/**
 * Times along x at round local times (every 10 minutes, 4 hours, a day…), as many as fit
 * about every 60 px, with a label for each.
 *
 * @param {number} since
 * @param {number} until
 * @param {number} plotWidth
 * @returns {[number, string][]}
 */
export function timeTicks(since, until, plotWidth) {
  const room = Math.max(2, Math.floor(plotWidth / 60))
  const step = tickSteps.find((s) => (until - since) / (s * minute) <= room) ?? 2880
  const at = new Date(since)
  /** @type {[number, string][]} */
  const ticks = []
  if (step < 1440) {
    at.setMinutes(at.getMinutes() - (at.getMinutes() % 5), 0, 0)
    for (; at.getTime() <= until; at.setMinutes(at.getMinutes() + 5)) {
      const ofDay = at.getHours() * 60 + at.getMinutes()
      if (at.getTime() >= since && ofDay % step === 0)
        ticks.push([at.getTime(), clock(at.getTime())])
    }
    return ticks
  }
  at.setHours(0, 0, 0, 0)
  for (let day = 0; at.getTime() <= until; at.setDate(at.getDate() + 1), day++) {
    if (at.getTime() >= since && day % (step / 1440) === 0)
      ticks.push([at.getTime(), dayLabel.format(at)])
  }
  return ticks
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

/** "14:05", local time. @param {number} t */
function clock(t) {
  const d = new Date(t)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}
