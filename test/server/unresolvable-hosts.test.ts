import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Resolver, systemResolver } from '../../src/delivery/ssrf-guard.ts'
import {
  assertProblem,
  createAsAcme,
  type ServerFixture,
  subscriptionBody,
  useServer,
} from '../support/server.ts'

/** A DNS failure as Node reports one: an Error with a `code`. */
const dnsError = (code: string): Error => Object.assign(new Error(`lookup ${code}`), { code })

// Four labels of 60 characters and their dots: 244 characters, to build names near the limits.
const labels = `${Array.from({ length: 4 }, (_, i) => String(i).repeat(60)).join('.')}.`
// Names that cannot be host names in DNS: 262 characters, and a label of 64.
const tooLong = `${labels}long.example`
const longLabel = `${'l'.repeat(64)}.example`
// The longest name DNS takes, 253 characters, written with the root's dot.
const longest = `${labels}x.example.`

// Codes a resolver answers for a name it refuses (not "not found yet"), and one no list knows.
const refusals = ['EINVAL', 'EBADNAME', 'EAI_FAIL', 'EFORMERR', 'ENOTIMP', 'EREFUSED', 'EODD']

// The injected DNS: `refused-<code>.test` fails with that code; any other name is not found yet,
// except a name past 253 characters, which goes to the system resolver (it refuses it with EINVAL
// before sending any query, as it did in the report of this defect).
const resolve: Resolver = async (host) => {
  if (host.replace(/\.$/, '').length > 253) return systemResolver(host)
  const refused = /^refused-(.+)\.test$/.exec(host)
  throw dnsError(refused === null ? 'ENOTFOUND' : refused[1]!.toUpperCase())
}

const t = useServer({ engine: { resolve } })
const base = '/webhooks/subscriptions'

/** Every target that must be refused, with what the message must say. */
const refusedTargets = [
  { url: `https://${tooLong}/hook`, says: /^config\.url: the host name is too long/ },
  { url: `https://${longLabel}/hook`, says: /^config\.url: .*host name.* too long/ },
  { url: 'https://hooks..example/hook', says: /^config\.url: the host name has an empty part/ },
  ...refusals.map((code) => ({
    url: `https://refused-${code.toLowerCase()}.test/hook`,
    says: /^config\.url: the host name cannot be resolved/,
  })),
]

/** The URLs acme's subscriptions have, as the API lists them. */
async function storedUrls(t: ServerFixture): Promise<string[]> {
  const list = await t.call(t.keys.acme.user, 'GET', base)
  assert.equal(list.status, 200, list.text)
  return list.body.data.map((s: { config: { url: string } }) => s.config.url)
}

describe('subscription URLs whose host name DNS refuses', () => {
  it('are a 400 on create naming config.url, writing nothing', async () => {
    for (const target of refusedTargets) {
      const response = await t.call(t.keys.acme.user, 'POST', base, subscriptionBody(target.url))
      assertProblem(response, 400, 'invalid_input', 'config.url')
      assert.match(response.body.detail, target.says, target.url)
    }
    assert.deepEqual(await storedUrls(t), [])
  })

  it('are a 400 on update naming config.url, leaving the subscription as it was', async () => {
    const sub = await createAsAcme(t, subscriptionBody(`${t.receiver.url}/kept`))
    for (const target of refusedTargets) {
      const response = await t.call(t.keys.acme.user, 'PUT', `${base}/${sub.id}`, {
        config: { url: target.url },
      })
      assertProblem(response, 400, 'invalid_input', 'config.url')
      assert.match(response.body.detail, target.says, target.url)
    }
    assert.deepEqual(await storedUrls(t), [`${t.receiver.url}/kept`])
  })

  it('still accepts a host name that is not found yet: it may be set up later', async () => {
    for (const host of ['not-yet.example', longest, `${'l'.repeat(63)}.example`]) {
      const created = await createAsAcme(t, subscriptionBody(`https://${host}/hook`))
      assert.equal(created.config.url, `https://${host}/hook`)
    }
  })
})
