import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type BannerInput, startBanner } from '../../src/cli/banner.ts'

const base: BannerInput = {
  version: '1.2.3',
  url: 'http://127.0.0.1:4321',
  everyInterface: false,
  role: 'all',
  database: '/data/hookrelay.db',
  adminKey: { kind: 'none' },
  loopbackAllowed: true,
}

describe('start banner', () => {
  it('shows the URL, the docs and the database, and no key on a restart', () => {
    const text = startBanner(base)
    assert.match(text, /listening on http:\/\/127\.0\.0\.1:4321/)
    assert.match(text, /http:\/\/127\.0\.0\.1:4321\/docs/)
    assert.match(text, /Dashboard: http:\/\/127\.0\.0\.1:4321\/\n/)
    assert.match(text, /\/data\/hookrelay\.db/)
    assert.doesNotMatch(startBanner({ ...base, role: 'worker' }), /Dashboard/)
    assert.doesNotMatch(text, /curl|admin key/i)
  })

  it('on the first start, shows the key once and a walkthrough with the real URL and key', () => {
    const text = startBanner({ ...base, adminKey: { kind: 'generated', key: 'hr_secret123' } })
    assert.equal(text.split('hr_secret123').length - 1, 3) // the key line and steps 1 and 2
    for (const fragment of [
      "curl -sS -X POST http://127.0.0.1:4321/admin/tenants \\\n    -H 'authorization: Bearer hr_secret123'",
      `-d '{"id":"acme"}'`,
      'http://127.0.0.1:4321/admin/tenants/acme/keys',
      `-d '{"roles":["user","service"]}'`,
      `-d '{"name":"My receiver","events":["order.*"],"config":{"url":"http://127.0.0.1:9000/webhooks"}}'`,
      `-d '{"type":"order.created","data":{"id":42}}'`,
      'curl -sS http://127.0.0.1:4321/webhooks/events/$EVENT_ID \\\n    -H "authorization: Bearer $TENANT_KEY"',
      'npx hookrelay listen --port 9000 --secret "$SECRET"',
    ]) {
      assert.ok(text.includes(fragment), `missing ${fragment}`)
    }
    assert.doesNotMatch(text, /--allow-private/)
    assert.ok(!text.includes('\u001b['), 'plain text unless a style is given')
  })

  it('says how to let deliveries reach the local receiver when loopback is refused', () => {
    const text = startBanner({
      ...base,
      adminKey: { kind: 'generated', key: 'hr_k' },
      loopbackAllowed: false,
    })
    assert.match(text, /--allow-private 127\.0\.0\.0\/8/)
  })
})
