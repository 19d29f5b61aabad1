import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import type { Hookrelay } from '../../src/index.ts'
import { type Admission, AuthFailureLimit, clientOf } from '../../src/server/auth-failures.ts'
import { hookrelayPlugin } from '../../src/server/plugin.ts'
import { testHooks } from '../support/engine.ts'
import {
  type ApiResponse,
  assertProblem,
  type ServerFixture,
  startServer,
  toApiResponse,
} from '../support/server.ts'

/** A limit on a clock the test moves: `at.ms`. */
function limitAt(perMinute: number): { limit: AuthFailureLimit; at: { ms: number } } {
  const at = { ms: 0 }
  return { limit: new AuthFailureLimit(perMinute, () => at.ms), at }
}

/** Admits one request from `ip` and settles it at once with `outcome`; true when admitted. */
async function attempt(
  limit: AuthFailureLimit,
  ip: string,
  outcome: 'failed' | 'passed',
): Promise<Admission> {
  const admission = await limit.admit(ip)
  if (admission.admitted) admission.settle(outcome)
  return admission
}

describe('AuthFailureLimit', () => {
  it('takes a burst of failures, then one every 60/n seconds, saying how long to wait', async () => {
    const { limit, at } = limitAt(20)
    for (let i = 0; i < 20; i++) {
      assert.equal((await attempt(limit, '203.0.113.9', 'failed')).admitted, true, `failure ${i}`)
    }
    const refused = await attempt(limit, '203.0.113.9', 'passed')
    assert.deepEqual(refused, { admitted: false, retryAfterMs: 3_000 })
    at.ms = 2_999
    assert.equal((await attempt(limit, '203.0.113.9', 'passed')).admitted, false)
    at.ms = 3_000
    assert.equal((await attempt(limit, '203.0.113.9', 'failed')).admitted, true)
    assert.equal((await attempt(limit, '203.0.113.9', 'passed')).admitted, false)
    // Another address has its own budget.
    assert.equal((await attempt(limit, '203.0.113.10', 'passed')).admitted, true)
  })

  it('counts neither successes nor authentications that judged nothing', async () => {
    const { limit } = limitAt(3)
    for (let i = 0; i < 100; i++) await attempt(limit, '203.0.113.9', 'passed')
    const unjudged = await limit.admit('203.0.113.9')
    assert.ok(unjudged.admitted)
    unjudged.settle('not-judged')
    for (let i = 0; i < 3; i++) await attempt(limit, '203.0.113.9', 'failed')
    assert.equal((await attempt(limit, '203.0.113.9', 'passed')).admitted, false)
  })

  it('lets no more authentications start at once than the budget, holding the rest', async () => {
    const { limit } = limitAt(5)
    const admissions = await Promise.all(
      Array.from({ length: 5 }, () => limit.admit('203.0.113.9')),
    )
    let held = 0
    const later = Array.from({ length: 10 }, () =>
      limit.admit('203.0.113.9').then((a) => {
        held++
        return a
      }),
    )
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(held, 0, 'the sixth waits for one under way to end')
    // The five under way fail: the budget is spent, and the ten held are refused unchecked.
    for (const admission of admissions) {
      assert.ok(admission.admitted)
      admission.settle('failed')
    }
    const settled = await Promise.all(later)
    assert.ok(settled.every((a) => !a.admitted))
  })

  it('holds a busy client with a right key instead of refusing it', async () => {
    const { limit } = limitAt(2)
    const first = await Promise.all([limit.admit('203.0.113.9'), limit.admit('203.0.113.9')])
    const rest = Array.from({ length: 20 }, () =>
      limit.admit('203.0.113.9').then((a) => {
        assert.ok(a.admitted)
        a.settle('passed')
        return a
      }),
    )
    for (const admission of first) {
      assert.ok(admission.admitted)
      admission.settle('passed')
    }
    assert.equal((await Promise.all(rest)).length, 20)
  })

  it('forgets an address once its budget is whole again, and keeps at most 10,000', async () => {
    const { limit, at } = limitAt(20)
    await attempt(limit, '203.0.113.9', 'passed')
    assert.equal(limit.size, 0, 'a success leaves nothing behind')
    await attempt(limit, '203.0.113.9', 'failed')
    assert.equal(limit.size, 1)
    at.ms = 3_000
    await attempt(limit, '203.0.113.9', 'passed')
    assert.equal(limit.size, 0, 'refilled: nothing to remember')

    for (let i = 0; i < 12_000; i++) {
      await attempt(limit, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'failed')
    }
    assert.equal(limit.size, 10_000)
  })

  it('counts IPv6 clients per /64 and IPv4-mapped ones as IPv4', () => {
    assert.equal(clientOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
    assert.equal(clientOf('2001:db8:1:2::ffff'), '2001:db8:1:2::/64')
    assert.notEqual(clientOf('2001:db8:1:3::1'), clientOf('2001:db8:1:2::1'))
    assert.equal(clientOf('::ffff:192.0.2.1'), '192.0.2.1')
    assert.equal(clientOf('192.0.2.1'), '192.0.2.1')
  })
})

/** Counts the store's API-key lookups: what a wrong key costs beyond its hash. */
function countLookups(hooks: Hookrelay): () => number {
  const store = hooks.store
  const find = store.findApiKeyByHash.bind(store)
  let lookups = 0
  store.findApiKeyByHash = (hash) => {
    lookups++
    return find(hash)
  }
  return () => lookups
}

/** GET /webhooks/subscriptions with `key`, from the client address `from`. */
async function listFrom(t: ServerFixture, from: string, key: string | null) {
  const response = await t.app.inject({
    method: 'GET',
    url: '/webhooks/subscriptions',
    remoteAddress: from,
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  })
  return toApiResponse(response)
}

/** `count` requests at once from `from`, each with a made-up key. */
function wrongKeysFrom(t: ServerFixture, from: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => listFrom(t, from, `hr_made_up_key_${i}`)),
  )
}

/** Asserts a 429 of the failure limit: problem+json and a `Retry-After` of 1 to `most` seconds. */
function assertLimited(response: ApiResponse, most: number): void {
  assertProblem(response, 429, 'rate_limited')
  assert.match(response.body.detail, /failed authentications/)
  const retryAfter = Number(response.headers['retry-after'])
  assert.ok(Number.isInteger(retryAfter), `Retry-After: ${response.headers['retry-after']}`)
  assert.ok(retryAfter >= 1 && retryAfter <= most, `Retry-After: ${retryAfter}`)
}

/** Runs `test` on a fresh server with the given failure limit (undefined: the default). */
async function withServer(
  authFailureLimit: number | undefined,
  test: (t: ServerFixture) => Promise<void>,
): Promise<void> {
  const t = await startServer(
    authFailureLimit === undefined ? {} : { server: { authFailureLimit } },
  )
  try {
    await test(t)
  } finally {
    await t.close()
  }
}

const attacker = '203.0.113.66'
const neighbour = '198.51.100.7'

describe('the REST API under wrong keys', () => {
  it('answers 429 to most of 50 wrong keys at once, asking the store at most 20 times', async () => {
    await withServer(undefined, async (t) => {
      const lookups = countLookups(t.hooks)
      const answers = await wrongKeysFrom(t, attacker, 50)
      const unauthorized = answers.filter((a) => a.status === 401)
      const limited = answers.filter((a) => a.status === 429)
      assert.equal(unauthorized.length + limited.length, 50, answers.map((a) => a.status).join())
      assert.ok(lookups() <= 20, `${lookups()} lookups`)
      assert.equal(unauthorized.length, lookups(), 'each 401 is one lookup, each 429 none')
      assert.ok(limited.length >= 30, `${limited.length} answered 429`)
      for (const response of limited) assertLimited(response, 3)

      // A right key from another address is not held up by the attacker's failures.
      assert.equal((await listFrom(t, neighbour, t.keys.acme.user)).status, 200)
      // From the address over its budget, a right key waits too, and is not even looked up.
      const before = lookups()
      assertLimited(await listFrom(t, attacker, t.keys.acme.both), 3)
      assert.equal(lookups(), before)
    })
  })

  it('behind a trusted proxy, counts the client X-Forwarded-For names, not the proxy', async () => {
    const proxy = '10.0.0.7'
    const t = await startServer({ server: { authFailureLimit: 5, trustProxy: [proxy] } })
    try {
      const through = (client: string, key: string) =>
        t.app.inject({
          method: 'GET',
          url: '/webhooks/subscriptions',
          remoteAddress: proxy,
          headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client },
        })
      for (let i = 0; i < 5; i++)
        assert.equal((await through(attacker, `hr_wrong_${i}`)).statusCode, 401)
      assert.equal((await through(attacker, 'hr_wrong_again')).statusCode, 429)
      // Another client through the same proxy is not the attacker.
      assert.equal((await through(neighbour, t.keys.acme.user)).statusCode, 200)
      // An untrusted sender's X-Forwarded-For is ignored: it counts as itself.
      const spoofed = await t.app.inject({
        method: 'GET',
        url: '/webhooks/subscriptions',
        remoteAddress: attacker,
        headers: { authorization: `Bearer ${t.keys.acme.user}`, 'x-forwarded-for': neighbour },
      })
      assert.equal(spoofed.statusCode, 429)
    } finally {
      await t.close()
    }
  })

  it('lets the address try again once its budget refills', async () => {
    // 30 a minute: a burst of 30, then one every 2 s.
    await withServer(30, async (t) => {
      const answers = await wrongKeysFrom(t, attacker, 30)
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([401]))
      const limited = await listFrom(t, attacker, t.keys.acme.user)
      assertLimited(limited, 2)
      const retryAfter = Number(limited.headers['retry-after'])
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000 + 50))
      assert.equal((await listFrom(t, attacker, t.keys.acme.user)).status, 200)
    })
  })

  it('never limits an address whose keys are right, even 100 at once with nothing cached', async () => {
    await withServer(5, async (t) => {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => listFrom(t, neighbour, t.keys.acme.user)),
      )
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
      // Four failures leave room for the right key: only over the budget does it wait.
      await wrongKeysFrom(t, neighbour, 4)
      assert.equal((await listFrom(t, neighbour, t.keys.acme.user)).status, 200)
    })
  })

  it('counts requests without any key as failures too', async () => {
    await withServer(3, async (t) => {
      for (let i = 0; i < 3; i++) assert.equal((await listFrom(t, attacker, null)).status, 401)
      assertLimited(await listFrom(t, attacker, null), 20)
    })
  })

  it('does not limit at 0', async () => {
    await withServer(0, async (t) => {
      const lookups = countLookups(t.hooks)
      const answers = await wrongKeysFrom(t, attacker, 50)
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([401]))
      assert.equal(lookups(), 50)
    })
  })
})

describe("a host app's own authenticate under failed authentications", () => {
  it('is asked at most the budget, and a caller it knows from elsewhere still gets in', async () => {
    const { hooks } = await testHooks()
    const host = Fastify()
    let asked = 0
    await host.register(hookrelayPlugin, {
      hooks,
      roles: null,
      authenticate: async (request) => {
        asked++
        const known = request.headers['x-session'] === 'good'
        return known ? { tenant: 'acme', userId: 'u1', roles: [] } : null
      },
    })
    try {
      const from = (remoteAddress: string, session: string) =>
        host.inject({
          method: 'GET',
          url: '/webhooks/subscriptions',
          remoteAddress,
          headers: { 'x-session': session },
        })
      const answers = await Promise.all(Array.from({ length: 50 }, () => from(attacker, 'bad')))
      const statuses = answers.map((a) => a.statusCode)
      assert.equal(statuses.filter((s) => s === 401).length, 20, statuses.join())
      assert.equal(statuses.filter((s) => s === 429).length, 30)
      assert.equal(asked, 20)
      assert.equal((await from(neighbour, 'good')).statusCode, 200)
      assert.equal((await from(attacker, 'good')).statusCode, 429)
    } finally {
      await host.close()
      await hooks.close()
    }
  })
})
