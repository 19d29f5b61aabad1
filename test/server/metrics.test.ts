import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Hookrelay } from '../../src/hookrelay.ts'
import { createMetrics, type Metrics } from '../../src/server/metrics.ts'
import { type TestClock, testHooks } from '../support/engine.ts'
import { TestReceiver } from '../support/receiver.ts'

/** The value of one sample (`name` or `name{label="value"}`) in Prometheus text, if present. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** The three backlog gauges of one render. */
async function backlog(metrics: Metrics) {
  const text = await metrics.render()
  return {
    pending: sample(text, 'hookrelay_backlog_pending'),
    due: sample(text, 'hookrelay_backlog_due'),
    disabled: sample(text, 'hookrelay_subscriptions_disabled'),
  }
}

describe('createMetrics', () => {
  let receiver: TestReceiver
  let hooks: Hookrelay
  let clock: TestClock
  let metrics: Metrics

  beforeEach(async () => {
    receiver = await TestReceiver.start()
    receiver.always('/bad', { kind: 'status', status: 500 })
    receiver.always('/gone', { kind: 'status', status: 410 })
    ;({ hooks, clock } = await testHooks({ retrySchedule: [60_000] }))
    metrics = createMetrics(hooks, { now: () => clock.now })
  })

  afterEach(async () => {
    metrics.stop()
    await hooks.close()
    await receiver.close()
  })

  const subscribe = (path: string) =>
    hooks.subscriptions.create({
      tenant: 'acme',
      name: path,
      events: ['order.*'],
      config: { url: `${receiver.url}${path}` },
    })
  const publish = () => hooks.publish({ tenant: 'acme', type: 'order.created', data: {} })

  it('counts publishes, attempts by result, finished deliveries and attempt durations', async () => {
    await subscribe('/ok')
    await subscribe('/bad')
    await publish()
    await publish()
    await hooks.drain()

    let text = await metrics.render()
    assert.equal(sample(text, 'hookrelay_events_published_total'), 2)
    assert.equal(sample(text, 'hookrelay_attempts_total{result="success"}'), 2)
    assert.equal(sample(text, 'hookrelay_attempts_total{result="failure"}'), 2)
    assert.equal(sample(text, 'hookrelay_deliveries_finished_total{status="succeeded"}'), 2)
    // The failures are pending a retry: attempts, not finished deliveries.
    assert.equal(sample(text, 'hookrelay_deliveries_finished_total{status="failed"}'), 0)
    assert.equal(sample(text, 'hookrelay_attempt_duration_seconds_count'), 4)
    assert.equal(sample(text, 'hookrelay_attempt_duration_seconds_bucket{le="+Inf"}'), 4)

    clock.advance(60_000)
    await hooks.drain()
    text = await metrics.render()
    assert.equal(receiver.at('/bad').length, 4)
    assert.equal(sample(text, 'hookrelay_attempts_total{result="success"}'), 2)
    assert.equal(sample(text, 'hookrelay_attempts_total{result="failure"}'), 4)
    assert.equal(sample(text, 'hookrelay_deliveries_finished_total{status="succeeded"}'), 2)
    assert.equal(sample(text, 'hookrelay_deliveries_finished_total{status="failed"}'), 2)
    assert.equal(sample(text, 'hookrelay_attempt_duration_seconds_count'), 6)
    // Each exhausted delivery publishes a `delivery.exhausted` event (to no one here).
    assert.equal(sample(text, 'hookrelay_events_published_total'), 4)
    // No tenant label anywhere: tenants are unbounded.
    assert.doesNotMatch(text, /tenant=/)
  })

  it('reads the backlog gauges from the store at each render', async () => {
    assert.deepEqual(await backlog(metrics), { pending: 0, due: 0, disabled: 0 })
    await subscribe('/bad')
    await publish()
    assert.deepEqual(await backlog(metrics), { pending: 1, due: 1, disabled: 0 })

    await hooks.drain() // 500: the retry is due in a minute
    assert.deepEqual(await backlog(metrics), { pending: 1, due: 0, disabled: 0 })

    await subscribe('/gone')
    await publish()
    assert.deepEqual(await backlog(metrics), { pending: 3, due: 2, disabled: 0 })

    await hooks.drain() // 410 fails its delivery for good and disables its subscription
    assert.deepEqual(await backlog(metrics), { pending: 2, due: 0, disabled: 1 })

    clock.advance(60_000)
    assert.deepEqual(await backlog(metrics), { pending: 2, due: 2, disabled: 1 })
  })

  it('keeps the last backlog values when the store fails', async (t) => {
    await subscribe('/ok')
    await publish()
    assert.deepEqual(await backlog(metrics), { pending: 1, due: 1, disabled: 0 })

    const failing = t.mock.method(hooks.store, 'backlogStats', () =>
      Promise.reject(new Error('database is locked')),
    )
    assert.deepEqual(await backlog(metrics), { pending: 1, due: 1, disabled: 0 })
    assert.equal(failing.mock.callCount(), 1, 'one store query per render, shared by the gauges')
  })

  it('gives each instance its own registry', async () => {
    const second = createMetrics(hooks)
    try {
      await publish()
      const [a, b] = [await metrics.render(), await second.render()]
      assert.equal(sample(a, 'hookrelay_events_published_total'), 1)
      assert.equal(sample(b, 'hookrelay_events_published_total'), 1)
      // Process metrics are there too, once per registry.
      assert.match(a, /^process_cpu_user_seconds_total /m)
      assert.equal(b.match(/^# TYPE hookrelay_events_published_total /gm)?.length, 1)
    } finally {
      second.stop()
    }
  })

  it('stops counting after stop()', async () => {
    await publish()
    metrics.stop()
    await publish()
    assert.equal(sample(await metrics.render(), 'hookrelay_events_published_total'), 1)
  })

  it('serves the Prometheus text format', () => {
    assert.match(metrics.contentType, /^text\/plain/)
  })
})
