import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { documentFile, openApiText } from '../../scripts/openapi.ts'

describe('OpenAPI document', () => {
  it('matches the committed docs/openapi.json (run `npm run openapi` after changing a route)', async () => {
    const generated = await openApiText()
    const committed = await readFile(documentFile, 'utf8')
    assert.equal(committed, generated, 'docs/openapi.json is stale: run `npm run openapi`')
  })

  it('is OpenAPI 3.1 with every REST route of DESIGN.md', async () => {
    const document = JSON.parse(await openApiText()) as {
      openapi: string
      paths: Record<string, Record<string, unknown>>
      components: { schemas: Record<string, unknown> }
    }
    assert.equal(document.openapi, '3.1.0')
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    )
    for (const route of [
      'POST /webhooks/subscriptions',
      'GET /webhooks/subscriptions',
      'GET /webhooks/subscriptions/{id}',
      'PUT /webhooks/subscriptions/{id}',
      'DELETE /webhooks/subscriptions/{id}',
      'GET /webhooks/subscriptions/search',
      'POST /webhooks/subscriptions/{id}/test',
      'GET /webhooks/subscriptions/{id}/last-error',
      'POST /webhooks/subscriptions/{id}/rotate-secret',
      'POST /webhooks/subscriptions/{id}/recover',
      'POST /webhooks/subscriptions/recover',
      'GET /webhooks/subscriptions/{id}/deliveries',
      'POST /webhooks/events',
      'POST /webhooks/entity-changes',
      'GET /webhooks/events',
      'GET /webhooks/events/{id}',
      'POST /webhooks/deliveries/{id}/retry',
      'GET /webhooks/event-types',
      'GET /webhooks/event-types/{name}',
      'PUT /webhooks/event-types/{name}',
      'POST /admin/tenants',
      'POST /admin/tenants/{id}/keys',
      'DELETE /admin/keys/{id}',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
    ]) {
      assert.ok(operations.includes(route), `${route} is missing from the document`)
    }
    for (const name of ['Problem', 'Subscription', 'Delivery', 'Attempt', 'Event', 'EventType']) {
      assert.ok(name in document.components.schemas, `components.schemas.${name} is missing`)
    }
  })
})
