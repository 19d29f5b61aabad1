import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { useServer } from '../support/server.ts'

describe('dashboard files', () => {
  const server = useServer()

  it('serves index.html at / with a strict Content-Security-Policy and no caching', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/' })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/)
    assert.equal(response.headers['cache-control'], 'no-cache')
    const csp = String(response.headers['content-security-policy'])
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.doesNotMatch(csp, /unsafe|https?:/)
    assert.equal(response.headers['x-frame-options'], 'DENY')
    assert.match(response.body, /<script type="module" src="\/dashboard\/app.js">/)
  })

  it('serves modules, views and styles with their content types', async () => {
    for (const [url, type] of [
      ['/dashboard/app.js', /^text\/javascript/],
      ['/dashboard/views/events.js', /^text\/javascript/],
      ['/dashboard/style.css', /^text\/css/],
      ['/dashboard/favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const response = await server.app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 200, url)
      assert.match(String(response.headers['content-type']), type, url)
      assert.equal(response.headers['cache-control'], 'no-cache', url)
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url)
    }
  })

  it('answers 304 to a request with the current ETag', async () => {
    const first = await server.app.inject({ method: 'GET', url: '/dashboard/style.css' })
    const etag = String(first.headers.etag)
    const again = await server.app.inject({
      method: 'GET',
      url: '/dashboard/style.css',
      headers: { 'if-none-match': etag },
    })
    assert.equal(again.statusCode, 304)
    assert.equal(again.body, '')
  })

  it('refuses paths outside the dashboard folder and unknown files', async () => {
    for (const url of [
      '/dashboard/../server/app.ts',
      '/dashboard/..%2fserver%2fapp.ts',
      '/dashboard/%2e%2e/%2e%2e/package.json',
      '/dashboard/views/../../server/dashboard.ts',
      '/dashboard/nothing.js',
      '/dashboard/',
    ]) {
      const response = await server.app.inject({ method: 'GET', url })
      assert.equal(response.statusCode, 404, url)
      assert.doesNotMatch(response.body, /import|export/, url)
    }
  })

  it('keeps its routes out of the OpenAPI document', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/openapi.json' })
    const paths = Object.keys(JSON.parse(response.body).paths)
    assert.ok(paths.length > 10)
    assert.ok(!paths.some((p) => p === '/' || p.startsWith('/dashboard')), paths.join(' '))
  })
})
