import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verify as verifyGithubOctokit } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import { ValidationError } from '../../src/core/errors.ts'
import {
  currentSecret,
  generateSecret,
  KEY_CACHE_SIZE,
  rotateSecrets,
  type SigningInput,
  signatureHeaders,
  validateSecret,
} from '../../src/core/signing/index.ts'
import type { SigningSecret } from '../../src/core/types.ts'

const VECTOR_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const HOUR = 3600 * 1000
const NOW = 1_700_000_000_000

function input(overrides: Partial<SigningInput>): SigningInput {
  return {
    scheme: 'standard',
    secrets: [{ secret: VECTOR_SECRET, expiresAt: null }],
    now: NOW,
    eventId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    eventType: 'order.created',
    deliveryId: 'dlv_1',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    ...overrides,
  }
}

describe('signatureHeaders', () => {
  it('matches the Standard Webhooks test vector', () => {
    assert.deepEqual(signatureHeaders(input({})), {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
  })

  it('matches the ServiceStack vector (sha1= prefix, SHA-256 digest)', () => {
    const secrets = [{ secret: 'asecret', expiresAt: null }]
    const headers = signatureHeaders(input({ scheme: 'servicestack', secrets, body: 'abody' }))
    assert.deepEqual(headers, {
      'x-webhook-event': 'order.created',
      'x-webhook-delivery': 'dlv_1',
      'x-hub-signature': 'sha1=1d3ed20b3409de7c595475d1dd972afa497812fd097633c3a2c7f783f0bf3414',
    })
  })

  it('matches the SuperOffice vector', () => {
    const secrets = [{ secret: 'asecret', expiresAt: null }]
    const headers = signatureHeaders(input({ scheme: 'superoffice', secrets, body: 'abody' }))
    assert.deepEqual(headers, {
      'x-superoffice-event': 'order.created',
      'x-superoffice-eventid': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'x-superoffice-signature': 'HT7SCzQJ3nxZVHXR3Zcq+kl4Ev0JdjPDosf3g/C/NBQ=',
    })
  })

  it('produces standard headers the standardwebhooks package accepts', () => {
    const secret = generateSecret()
    const body = JSON.stringify({ id: 'evt_1', type: 'order.created', data: { total: 12.5 } })
    const now = Date.now()
    const headers = signatureHeaders(
      input({
        secrets: [{ secret, expiresAt: null }],
        now,
        timestamp: Math.floor(now / 1000),
        body,
      }),
    )
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body))
    assert.throws(() => new Webhook(generateSecret()).verify(body, headers))
  })

  it('produces github headers @octokit/webhooks-methods accepts', async () => {
    const secret = "It's a Secret to Everybody"
    const body = 'Hello, World!'
    const headers = signatureHeaders(
      input({ scheme: 'github', secrets: [{ secret, expiresAt: null }], body }),
    )
    assert.equal(headers['x-github-event'], 'order.created')
    assert.equal(headers['x-github-delivery'], 'dlv_1')
    const signature = headers['x-hub-signature-256']!
    // GitHub's documented example for this secret and body.
    assert.equal(
      signature,
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    )
    assert.equal(await verifyGithubOctokit(secret, body, signature), true)
    assert.equal(await verifyGithubOctokit('another secret', body, signature), false)
  })

  it('signs the non-standard schemes with the newest valid secret', () => {
    const secrets: SigningSecret[] = [
      { secret: 'old-secret-1', expiresAt: NOW + HOUR },
      { secret: 'new-secret-1', expiresAt: null },
    ]
    const signed = signatureHeaders(input({ scheme: 'superoffice', secrets, body: 'x' }))
    const withNew = signatureHeaders(
      input({ scheme: 'superoffice', secrets: [secrets[1]!], body: 'x' }),
    )
    assert.equal(signed['x-superoffice-signature'], withNew['x-superoffice-signature'])
  })

  it('signs with the secret expiring last when none is permanent', () => {
    const secrets: SigningSecret[] = [
      { secret: 'secret-a-1', expiresAt: NOW + HOUR },
      { secret: 'secret-b-1', expiresAt: NOW + 2 * HOUR },
      { secret: 'secret-c-1', expiresAt: NOW - 1 },
    ]
    assert.equal(currentSecret(secrets, NOW)?.secret, 'secret-b-1')
    assert.equal(currentSecret(secrets, NOW + 2 * HOUR), undefined)
  })

  it('throws a ValidationError on secrets when no secret is valid', () => {
    const secrets = [{ secret: VECTOR_SECRET, expiresAt: NOW }]
    for (const scheme of ['standard', 'github'] as const) {
      assert.throws(
        () => signatureHeaders(input({ scheme, secrets })),
        (err) => err instanceof ValidationError && err.field === 'secrets',
      )
    }
  })

  it('stays correct when more secrets are used than the key cache holds', () => {
    const first = signatureHeaders(input({}))['webhook-signature']
    for (let i = 0; i <= KEY_CACHE_SIZE; i++) {
      signatureHeaders(input({ secrets: [{ secret: generateSecret(), expiresAt: null }] }))
    }
    assert.equal(signatureHeaders(input({}))['webhook-signature'], first)
  })
})

describe('rotation', () => {
  it('signs with both secrets during the grace period and the new one only after', () => {
    const oldSecret = generateSecret()
    const newSecret = generateSecret()
    const secrets = rotateSecrets([{ secret: oldSecret, expiresAt: null }], newSecret, NOW)
    assert.deepEqual(secrets, [
      { secret: newSecret, expiresAt: null },
      { secret: oldSecret, expiresAt: NOW + 24 * HOUR },
    ])
    const during = signatureHeaders(input({ secrets, now: NOW + 23 * HOUR }))['webhook-signature']!
    const onlyNew = signatureHeaders(input({ secrets: [secrets[0]!] }))['webhook-signature']!
    const onlyOld = signatureHeaders(input({ secrets: [secrets[1]!] }))['webhook-signature']!
    assert.equal(during, `${onlyNew} ${onlyOld}`)
    const after = signatureHeaders(input({ secrets, now: NOW + 24 * HOUR }))['webhook-signature']
    assert.equal(after, onlyNew)
  })

  it('keeps an earlier expiry, drops expired secrets and an old copy of the new one', () => {
    const secrets: SigningSecret[] = [
      { secret: 'current-1', expiresAt: null },
      { secret: 'soon-gone', expiresAt: NOW + HOUR },
      { secret: 'long-gone', expiresAt: NOW - HOUR },
      { secret: 'same-as-new', expiresAt: NOW + 2 * HOUR },
    ]
    assert.deepEqual(rotateSecrets(secrets, 'same-as-new', NOW, 10 * HOUR), [
      { secret: 'same-as-new', expiresAt: null },
      { secret: 'current-1', expiresAt: NOW + 10 * HOUR },
      { secret: 'soon-gone', expiresAt: NOW + HOUR },
    ])
  })

  it('drops the old secrets at once with a zero grace', () => {
    const secrets = rotateSecrets([{ secret: 'current-1', expiresAt: null }], 'next-1', NOW, 0)
    assert.deepEqual(secrets, [{ secret: 'next-1', expiresAt: null }])
  })
})

describe('generateSecret and validateSecret', () => {
  it('generates whsec_ + base64 of 32 random bytes', () => {
    const secret = generateSecret()
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32)
    assert.notEqual(generateSecret(), secret)
  })

  it('accepts generated secrets for every scheme', () => {
    for (const scheme of ['standard', 'github', 'servicestack', 'superoffice'] as const) {
      validateSecret(scheme, generateSecret())
    }
    validateSecret('standard', VECTOR_SECRET)
  })

  it('rejects bad standard secrets, naming the field', () => {
    const bad = [
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', // no prefix
      'whsec_', // empty
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w', // not base64
      `whsec_${Buffer.alloc(23).toString('base64')}`, // too short
      `whsec_${Buffer.alloc(65).toString('base64')}`, // too long
    ]
    for (const secret of bad) {
      assert.throws(
        () => validateSecret('standard', secret, 'secret'),
        (err) => err instanceof ValidationError && err.field === 'secret',
        secret,
      )
    }
    assert.throws(
      () => validateSecret('standard', 'nope'),
      (err) => err instanceof ValidationError && err.field === 'config.secret',
    )
  })

  it('accepts 8..300 printable characters for the other schemes', () => {
    validateSecret('github', 'x'.repeat(8))
    validateSecret('servicestack', 'x'.repeat(300))
    validateSecret('superoffice', 'Geheimnis mit Ümlaut')
    for (const secret of ['x'.repeat(7), 'x'.repeat(301), 'tab\there!', 'newline\nhere']) {
      assert.throws(() => validateSecret('github', secret), ValidationError, JSON.stringify(secret))
    }
  })
})
