import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ValidationError } from '../../src/core/errors.ts'
import { buildEvent, entityChangeEvent } from '../../src/core/event-input.ts'
import {
  applyPatch,
  buildSubscription,
  type SubscriptionInput,
} from '../../src/core/subscription-input.ts'
import { type HookrelayOptions, resolveOptions } from '../../src/options.ts'
import { contactChange } from '../support/engine.ts'

const ids = { id: 'sub_1', now: 1_700_000_000_000 }
const valid: SubscriptionInput = {
  tenant: 'acme',
  name: 'Orders',
  events: ['order.*', 'contact.created'],
  config: { url: 'https://acme.example/hooks' },
}

function rejects(input: unknown, field: string): void {
  assert.throws(
    () => buildSubscription(input as SubscriptionInput, ids),
    (err: unknown) =>
      err instanceof ValidationError && err.field === field && err.code === 'invalid_input',
    `expected a ValidationError on ${field}`,
  )
}

describe('subscription input', () => {
  it('builds a complete subscription with defaults and a generated secret', () => {
    const sub = buildSubscription(valid, ids)
    assert.equal(sub.tenant, 'acme')
    assert.deepEqual(sub.events, ['order.*', 'contact.created'])
    assert.equal(sub.config.contentType, 'application/json')
    assert.equal(sub.signatureScheme, 'standard')
    assert.equal(sub.payload, 'envelope')
    assert.equal(sub.state, 'active')
    assert.match(sub.secrets[0]!.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.equal(buildSubscription({ ...valid, tenant: undefined as never }, ids).tenant, 'default')
  })

  it('names the field of each bad input', () => {
    rejects({ ...valid, name: '' }, 'name')
    rejects({ ...valid, name: 'x'.repeat(101) }, 'name')
    rejects({ ...valid, events: [] }, 'events')
    rejects({ ...valid, events: 'order.created' }, 'events')
    rejects({ ...valid, events: ['order.created', 'bad event'] }, 'events[1]')
    rejects({ ...valid, config: undefined }, 'config')
    rejects({ ...valid, config: { url: 'not a url' } }, 'config.url')
    rejects({ ...valid, config: { url: 'ftp://acme.example/' } }, 'config.url')
    rejects({ ...valid, config: { url: 'https://u:p@acme.example/' } }, 'config.url')
    rejects(
      { ...valid, config: { url: 'https://acme.example/', contentType: 'text/xml' } },
      'config.contentType',
    )
    rejects(
      { ...valid, config: { url: 'https://acme.example/', secret: 'short' } },
      'config.secret',
    )
    rejects({ ...valid, tenant: 'a b' }, 'tenant')
    rejects({ ...valid, signatureScheme: 'md5' }, 'signatureScheme')
    rejects({ ...valid, payload: 'xml' }, 'payload')
    rejects({ ...valid, headers: { 'webhook-id': 'x' } }, 'headers.webhook-id')
    rejects({ ...valid, headers: { 'x-ok': 'a\r\nb' } }, 'headers.x-ok')
    rejects({ ...valid, rateLimit: -1 }, 'rateLimit')
    rejects({ ...valid, retrySchedule: [1000, 'x'] }, 'retrySchedule[1]')
  })

  it('accepts a secret per scheme', () => {
    const github = buildSubscription(
      {
        ...valid,
        signatureScheme: 'github',
        config: { url: valid.config.url, secret: 'a plain secret' },
      },
      ids,
    )
    assert.equal(github.secrets[0]!.secret, 'a plain secret')
    rejects(
      { ...valid, config: { url: valid.config.url, secret: 'a plain secret' } },
      'config.secret',
    )
  })

  it('applies a partial update and keeps the rest', () => {
    const sub = buildSubscription(valid, ids)
    const moved = applyPatch(sub, { config: { url: 'https://new.example/in' } }, ids.now + 1000)
    assert.equal(moved.config.url, 'https://new.example/in')
    assert.deepEqual(moved.events, sub.events)
    assert.equal(moved.secrets, sub.secrets)
    assert.notEqual(moved.updatedAt, sub.updatedAt)
    assert.equal(applyPatch(sub, { state: 'paused' }, ids.now).state, 'paused')
    assert.throws(() => applyPatch(sub, { state: 'disabled' as never }, ids.now), ValidationError)
    assert.throws(() => applyPatch(sub, { events: [] }, ids.now), ValidationError)
  })

  it('refuses a field it does not know, naming it, instead of dropping it', () => {
    // A scheme put inside `config`, and a misspelled option: both used to be ignored.
    rejects(
      { ...valid, config: { ...valid.config, signatureScheme: 'github' } },
      'config.signatureScheme',
    )
    rejects({ ...valid, retrySchedul: [1000] }, 'retrySchedul')
    rejects({ ...valid, state: 'paused' }, 'state')
    const sub = buildSubscription(valid, ids)
    const patched = (patch: unknown) => () => applyPatch(sub, patch as never, ids.now)
    assert.throws(patched({ rateLimt: 5 }), { field: 'rateLimt' })
    assert.throws(patched({ config: { uri: 'https://x.example' } }), { field: 'config.uri' })
    assert.throws(patched({ tenant: 'other' }), { field: 'tenant' })
    assert.throws(patched({ rateLimt: 5 }), /the fields are name, events, config/)
  })
})

describe('event input', () => {
  it('builds an event and names bad fields', () => {
    const { event, dataJson } = buildEvent(
      { tenant: 'acme', type: 'order.created', data: { id: 42 } },
      {
        id: 'evt_1',
        now: 0,
      },
    )
    assert.equal(event.timestamp, '1970-01-01T00:00:00.000Z')
    assert.equal(dataJson, '{"id":42}')
    const bad = (input: unknown, field: string) =>
      assert.throws(
        () => buildEvent(input as never, { id: 'evt_1', now: 0 }),
        (err: unknown) => err instanceof ValidationError && err.field === field,
      )
    bad({ type: 'order.*' }, 'type')
    bad({ type: 'order.created', data: { big: 1n } }, 'data')
    bad({ type: 'order.created', idempotencyKey: '' }, 'idempotencyKey')
    bad({ type: 'x', tenant: '' }, 'tenant')
  })

  it('turns an entity change into <entity>.<action>', () => {
    const input = entityChangeEvent({ tenant: 'acme', ...contactChange })
    assert.equal(input.type, 'contact.updated')
    assert.deepEqual(input.data, contactChange)
    assert.throws(
      () => entityChangeEvent({ entity: 'contact', id: 7, action: 'up dated' }),
      ValidationError,
    )
  })
})

describe('engine options', () => {
  it('names the option that is out of range', () => {
    const bad = (options: HookrelayOptions, field: string) =>
      assert.throws(
        () => resolveOptions(options),
        (err: unknown) => err instanceof ValidationError && err.field === field,
      )
    bad({ timeoutMs: 60_000 }, 'timeoutMs')
    bad({ timeoutMs: 20_000 }, 'leaseMs')
    bad({ leaseMs: 5_000 }, 'leaseMs')
    bad({ retrySchedule: [-1] }, 'retrySchedule[0]')
    bad({ jitter: 2 }, 'jitter')
    bad({ concurrency: 0 }, 'concurrency')
    bad({ allowPrivateNetworks: 'yes' as never }, 'allowPrivateNetworks')
    assert.equal(resolveOptions({ timeoutMs: 20_000, leaseMs: 40_000 }).leaseMs, 40_000)
  })
})
