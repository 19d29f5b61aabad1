import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { path, problemError } from '../../src/cli/api-client.ts'
import { CliError } from '../../src/cli/cli-error.ts'
import { formatCounts } from '../../src/cli/commands/events.ts'
import {
  createProgress,
  formatFields,
  formatTable,
  formatTime,
  type Output,
  parseTime,
  plural,
} from '../../src/cli/output.ts'

/** A stream that keeps what is written. */
function fakeStream(isTTY: boolean, columns = 80): Output & { text: string } {
  const stream = {
    text: '',
    isTTY,
    columns,
    write(chunk: string) {
      stream.text += chunk
      return true
    },
  }
  return stream
}

describe('formatTable', () => {
  it('pads every column to its widest cell, without trailing spaces', () => {
    const text = formatTable(
      ['ID', 'NAME', 'N'],
      [
        ['sub_1', 'Orders', 3],
        ['sub_22', null, 12],
      ],
    )
    assert.equal(text, 'ID      NAME    N\nsub_1   Orders  3\nsub_22  -       12\n')
  })

  it('keeps one row on one line when a cell holds a newline or tab', () => {
    const text = formatTable(['A', 'B'], [['x\ny', 'z\tw']])
    assert.equal(text, 'A    B\nx y  z w\n')
  })

  it('prints the headers alone for no rows', () => {
    assert.equal(formatTable(['ID', 'NAME'], []), 'ID  NAME\n')
  })
})

describe('small formatters', () => {
  it('formatFields aligns the values', () => {
    assert.equal(
      formatFields([
        ['ID', 'evt_1'],
        ['Type', 'a.b'],
        ['Key', null],
      ]),
      'ID    evt_1\nType  a.b\nKey   -\n',
    )
  })

  it('formatTime drops the milliseconds and the T', () => {
    assert.equal(formatTime('2024-05-01T12:00:03.123Z'), '2024-05-01 12:00:03Z')
    assert.equal(formatTime(null), '-')
  })

  it('plural and formatCounts', () => {
    assert.equal(plural(1, 'delivery', 'deliveries'), '1 delivery')
    assert.equal(plural(0, 'delivery', 'deliveries'), '0 deliveries')
    assert.equal(
      formatCounts({ pending: 0, succeeded: 2, failed: 1, cancelled: 0 }),
      '2 succeeded, 1 failed',
    )
    assert.equal(formatCounts({ pending: 0, succeeded: 0, failed: 0, cancelled: 0 }), 'none')
    assert.equal(formatCounts(undefined), '-')
  })
})

describe('parseTime', () => {
  const now = Date.parse('2024-05-01T12:00:00Z')

  it('reads a time ago in seconds, minutes, hours, days and weeks', () => {
    assert.equal(parseTime('45s', '--since', now), '2024-05-01T11:59:15.000Z')
    assert.equal(parseTime('30m', '--since', now), '2024-05-01T11:30:00.000Z')
    assert.equal(parseTime('2h', '--since', now), '2024-05-01T10:00:00.000Z')
    assert.equal(parseTime('7d', '--since', now), '2024-04-24T12:00:00.000Z')
    assert.equal(parseTime('1w', '--since', now), '2024-04-24T12:00:00.000Z')
  })

  it('reads ISO dates and date-times', () => {
    assert.equal(parseTime('2024-04-30T08:15:00Z', '--since', now), '2024-04-30T08:15:00.000Z')
    assert.equal(parseTime('2024-04-30T10:15:00+02:00', '--since', now), '2024-04-30T08:15:00.000Z')
    assert.equal(parseTime('2024-04-30', '--until', now), '2024-04-30T00:00:00.000Z')
  })

  it('refuses anything else with a CliError naming the flag', () => {
    for (const bad of ['yesterday', '2h ago', '1', 'May 3', '2024-13-45', '-2h', '']) {
      assert.throws(
        () => parseTime(bad, '--until', now),
        (err: unknown) => err instanceof CliError && err.message.startsWith('--until must be'),
        bad,
      )
    }
  })
})

describe('createProgress', () => {
  it('on a terminal redraws one line per step with the count, and erases it when done', () => {
    const out = fakeStream(true)
    const progress = createProgress(4, 'subscriptions', out)
    progress.step('3 re-queued')
    progress.step('5 re-queued')
    progress.done()
    const frames = out.text.split('\r\u001b[2K')
    assert.deepEqual(frames, [
      '',
      '[........................] 0/4 subscriptions',
      '[######..................] 1/4 subscriptions, 3 re-queued',
      '[############............] 2/4 subscriptions, 5 re-queued',
      '',
    ])
  })

  it('fits the line to a narrow terminal, so it never wraps', () => {
    const out = fakeStream(true, 20)
    createProgress(2, 'subscriptions', out).step('a long note about the progress')
    for (const frame of out.text.split('\r\u001b[2K')) assert.ok(frame.length < 20, frame)
  })

  it('writes nothing when the stream is not a terminal', () => {
    const out = fakeStream(false)
    const progress = createProgress(2, 'subscriptions', out)
    progress.step('1 re-queued')
    progress.done()
    assert.equal(out.text, '')
  })
})

describe('the API client', () => {
  it('path encodes each interpolated value as one segment', () => {
    assert.equal(path`/webhooks/events/${'evt_1'}`, '/webhooks/events/evt_1')
    assert.equal(path`/a/${'../b?c=d'}/e`, '/a/..%2Fb%3Fc%3Dd/e')
  })

  it('problemError turns problem details into one line, and other answers into their status', () => {
    const problem = JSON.stringify({
      title: 'Not found',
      detail: 'event evt_1 not found',
      code: 'not_found',
    })
    const notFound = problemError(404, 'application/problem+json', problem, 'GET /x')
    assert.equal(notFound.message, 'event evt_1 not found (not_found, HTTP 404)')
    assert.equal(notFound.status, 404)
    assert.equal(notFound.code, 'not_found')
    assert.equal(
      problemError(502, 'text/html', '<html>Bad gateway</html>\n<p>more</p>', 'GET /x').message,
      'GET /x answered HTTP 502: <html>Bad gateway</html>',
    )
    const notProblem = problemError(500, 'application/json', '{', 'POST /y')
    assert.equal(notProblem.message, 'POST /y answered HTTP 500: {')
    assert.equal(notProblem.code, null)
  })
})
