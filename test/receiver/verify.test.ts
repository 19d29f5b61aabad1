import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  generateSecret,
  rotateSecrets,
  type SigningInput,
  signatureHeaders,
  validateSecret,
} from '../../src/core/signing/index.ts'
import {
  type HeadersInput,
  type SignatureScheme,
  verify,
  verifyGithub,
  verifyServiceStack,
  verifyStandard,
  verifySuperOffice,
  WebhookVerificationError,
} from '../../src/receiver/index.ts'

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  headers: {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  body: '{"test": 2432232314}',
  now: 1614265330 * 1000,
}
const SCHEMES: readonly SignatureScheme[] = ['standard', 'github', 'servicestack', 'superoffice']

function fails(code: WebhookVerificationError['code']) {
  return (err: unknown) => err instanceof WebhookVerificationError && err.code === code
}

function signed(scheme: SignatureScheme, secret: string, body: string, now = Date.now()) {
  const input: SigningInput = {
    scheme,
    secrets: [{ secret, expiresAt: null }],
    now,
    eventId: 'evt_1',
    eventType: 'order.created',
    deliveryId: 'dlv_1',
    timestamp: Math.floor(now / 1000),
    body,
  }
  return signatureHeaders(input)
}

describe('verifyStandard', () => {
  it('accepts the Standard Webhooks test vector', () => {
    verifyStandard(VECTOR)
  })

  it('accepts a raw Buffer body, Headers objects and any header casing', () => {
    verifyStandard({ ...VECTOR, body: Buffer.from(VECTOR.body) })
    verifyStandard({ ...VECTOR, headers: new Headers(VECTOR.headers) })
    const upper = Object.fromEntries(
      Object.entries(VECTOR.headers).map(([k, v]) => [k.toUpperCase(), v]),
    )
    verifyStandard({ ...VECTOR, headers: upper })
  })

  it('accepts any one matching signature among several', () => {
    const signature = `v2,abc v1,AAAA ${VECTOR.headers['webhook-signature']}`
    verifyStandard({ ...VECTOR, headers: { ...VECTOR.headers, 'webhook-signature': signature } })
  })

  it('rejects a tampered body', () => {
    const body = VECTOR.body.replace('2', '3')
    assert.throws(() => verifyStandard({ ...VECTOR, body }), fails('bad_signature'))
  })

  it('rejects a wrong secret', () => {
    assert.throws(
      () => verifyStandard({ ...VECTOR, secret: generateSecret() }),
      fails('bad_signature'),
    )
  })

  it('rejects a missing or empty header', () => {
    for (const name of Object.keys(VECTOR.headers)) {
      const headers: Record<string, string> = { ...VECTOR.headers }
      delete headers[name]
      assert.throws(() => verifyStandard({ ...VECTOR, headers }), fails('missing_header'), name)
      headers[name] = ''
      assert.throws(() => verifyStandard({ ...VECTOR, headers }), fails('missing_header'), name)
    }
  })

  it('rejects a timestamp outside the tolerance, default 5 minutes', () => {
    verifyStandard({ ...VECTOR, now: VECTOR.now + 300_000 })
    verifyStandard({ ...VECTOR, now: VECTOR.now - 300_000 })
    assert.throws(
      () => verifyStandard({ ...VECTOR, now: VECTOR.now + 301_000 }),
      fails('timestamp_out_of_range'),
    )
    assert.throws(
      () => verifyStandard({ ...VECTOR, now: VECTOR.now - 301_000 }),
      fails('timestamp_out_of_range'),
    )
    assert.throws(
      () => verifyStandard({ ...VECTOR, now: undefined }),
      fails('timestamp_out_of_range'),
    )
    verifyStandard({ ...VECTOR, now: VECTOR.now + 3_600_000, tolerance: 3600 })
  })

  it('rejects a non-numeric timestamp', () => {
    const headers = { ...VECTOR.headers, 'webhook-timestamp': '1614265330abc' }
    assert.throws(() => verifyStandard({ ...VECTOR, headers }), fails('timestamp_out_of_range'))
  })

  it('accepts either secret during a rotation, and only the new one after', () => {
    const oldSecret = generateSecret()
    const newSecret = generateSecret()
    const now = Date.now()
    const secrets = rotateSecrets([{ secret: oldSecret, expiresAt: null }], newSecret, now - 1000)
    const sign = (at: number) =>
      signatureHeaders({
        scheme: 'standard',
        secrets,
        now: at,
        eventId: 'evt_1',
        eventType: 'order.created',
        deliveryId: 'dlv_1',
        timestamp: Math.floor(now / 1000),
        body: '{}',
      })
    const during = sign(now)
    verifyStandard({ secret: oldSecret, headers: during, body: '{}', now })
    verifyStandard({ secret: newSecret, headers: during, body: '{}', now })
    const after = sign(now + 25 * 3600 * 1000)
    verifyStandard({ secret: newSecret, headers: after, body: '{}', now })
    assert.throws(
      () => verifyStandard({ secret: oldSecret, headers: after, body: '{}', now }),
      fails('bad_signature'),
    )
  })
})

describe('body-HMAC schemes', () => {
  it('verify the ServiceStack and SuperOffice vectors', () => {
    const headers: HeadersInput = {
      'X-Hub-Signature': 'sha1=1d3ed20b3409de7c595475d1dd972afa497812fd097633c3a2c7f783f0bf3414',
      'X-SuperOffice-Signature': 'HT7SCzQJ3nxZVHXR3Zcq+kl4Ev0JdjPDosf3g/C/NBQ=',
    }
    verifyServiceStack({ secret: 'asecret', headers, body: 'abody' })
    verifySuperOffice({ secret: 'asecret', headers, body: Buffer.from('abody') })
    assert.throws(
      () => verifyServiceStack({ secret: 'asecret', headers, body: 'abodY' }),
      fails('bad_signature'),
    )
    assert.throws(
      () => verifySuperOffice({ secret: 'bsecret', headers, body: 'abody' }),
      fails('bad_signature'),
    )
  })

  it('verify GitHub signatures, with an array-valued Node header', () => {
    const secret = "It's a Secret to Everybody"
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
    verifyGithub({ secret, headers: { 'x-hub-signature-256': [signature] }, body: 'Hello, World!' })
    assert.throws(
      () => verifyGithub({ secret, headers: new Headers(), body: 'Hello, World!' }),
      fails('missing_header'),
    )
    assert.throws(
      () =>
        verifyGithub({ secret, headers: { 'x-hub-signature-256': 'sha256=00' }, body: 'Hello' }),
      fails('bad_signature'),
    )
  })

  it('do not accept one scheme signature for another', () => {
    const headers = signed('servicestack', 'shared-secret', 'body')
    const github = { 'x-hub-signature-256': headers['x-hub-signature']!.replace('sha1', 'sha256') }
    verifyServiceStack({ secret: 'shared-secret', headers, body: 'body' })
    verifyGithub({ secret: 'shared-secret', headers: github, body: 'body' })
    assert.throws(
      () => verifyServiceStack({ secret: 'shared-secret', headers: github, body: 'body' }),
      fails('missing_header'),
    )
  })
})

describe('verify (property)', () => {
  it('accepts what signatureHeaders signs for every scheme and rejects a changed byte', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.constantFrom(...SCHEMES),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (body, secretBytes, scheme, index, delta) => {
          const secret = `whsec_${Buffer.from(secretBytes).toString('base64')}`
          validateSecret(scheme, secret)
          const headers = signed(scheme, secret, body)
          verify(scheme, { secret, headers, body })
          const bytes = Buffer.from(body, 'utf8')
          verify(scheme, { secret, headers, body: bytes })
          // An empty body has no byte to change, so the one-byte change is an added byte.
          const tampered = bytes.length === 0 ? Buffer.from([delta]) : Buffer.from(bytes)
          const i = index % tampered.length
          if (bytes.length > 0) tampered[i] = (tampered[i]! + delta) % 256
          assert.throws(
            () => verify(scheme, { secret, headers, body: tampered }),
            fails('bad_signature'),
          )
        },
      ),
      { numRuns: 300 },
    )
  })
})
