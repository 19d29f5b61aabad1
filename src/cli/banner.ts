import type { ServeRole } from './serve-options.ts'

/** Where the admin key came from on this start. */
export type AdminKeySource =
  /** Generated now, on the first start with an empty database: printed this once. */
  | { kind: 'generated'; key: string }
  /** Given with `--admin-key` or `HOOKRELAY_ADMIN_KEY`. */
  | { kind: 'given' }
  /** The database already has keys (a restart), or this process serves no API. */
  | { kind: 'none' }

/** What the start banner shows. */
export interface BannerInput {
  version: string
  /** The base URL clients use, with the real port. */
  url: string
  /** Bound to 0.0.0.0 or `::`: reachable on every interface, not only at `url`. */
  everyInterface: boolean
  role: ServeRole
  /** The database as shown to the user (an absolute path, or `:memory:`). */
  database: string
  adminKey: AdminKeySource
  /** Whether deliveries may reach 127.0.0.1, where the walkthrough's receiver runs. */
  loopbackAllowed: boolean
}

/** Emphasis for headings and the key; the identity when colours are off. */
export type Style = (format: 'bold' | 'yellow', text: string) => string

const plain: Style = (_format, text) => text

/**
 * The text `hookrelay serve` prints once it listens: where it listens, the docs and the database,
 * and on the first start the generated admin key with a curl walkthrough filled in.
 */
export function startBanner(input: BannerInput, style: Style = plain): string {
  const roles: Record<ServeRole, string> = {
    all: 'REST API and delivery worker',
    api: 'REST API only, no delivery worker',
    worker: 'delivery worker; health, readiness and metrics only',
  }
  const lines = [
    '',
    style('bold', `Hookrelay ${input.version} is listening on ${input.url}`) +
      (input.everyInterface ? ' and every other interface' : '') +
      ` (${roles[input.role]})`,
    ...(input.role === 'worker' ? [] : [`  Dashboard: ${input.url}/`]),
    `  API docs:  ${input.url}/docs`,
    `  Database:  ${input.database}`,
  ]
  if (input.adminKey.kind === 'given') lines.push('  Admin key: the one from --admin-key')
  if (input.adminKey.kind === 'generated') {
    lines.push(...firstStart(input, input.adminKey.key, style))
  }
  lines.push('')
  return lines.join('\n') + '\n'
}

function firstStart(input: BannerInput, key: string, style: Style): string[] {
  const post = (path: string, auth: string, body: string) => [
    `  curl -sS -X POST ${input.url}${path} \\`,
    `    ${auth} -H 'content-type: application/json' \\`,
    `    -d '${body}'`,
  ]
  const admin = `-H 'authorization: Bearer ${key}'`
  const tenant = `-H "authorization: Bearer $TENANT_KEY"`
  const receiver = 'http://127.0.0.1:9000/webhooks'
  return [
    '',
    style('bold', 'First start: this admin key was created. It is shown only this once, keep it:'),
    '',
    `  ${style('yellow', key)}`,
    '',
    style('bold', 'Try it from another terminal:'),
    '',
    '  # 1. Create a tenant',
    ...post('/admin/tenants', admin, '{"id":"acme"}'),
    '',
    '  # 2. Create an API key for it, and put "key" from the answer here:',
    ...post('/admin/tenants/acme/keys', admin, '{"roles":["user","service"]}'),
    '  export TENANT_KEY=...',
    '',
    '  # 3. Subscribe a local receiver to order events, and put "config.secret" from the answer here:',
    ...(input.loopbackAllowed
      ? []
      : ['  #    (deliveries to 127.0.0.1 are refused: restart with --allow-private 127.0.0.0/8)']),
    ...post(
      '/webhooks/subscriptions',
      tenant,
      `{"name":"My receiver","events":["order.*"],"config":{"url":"${receiver}"}}`,
    ),
    '  export SECRET=whsec_...',
    '  #    then, in a third terminal, a receiver that prints each webhook and checks its signature:',
    '  npx hookrelay listen --port 9000 --secret "$SECRET"',
    '',
    '  # 4. Publish an event, and put "id" from the answer here:',
    ...post('/webhooks/events', tenant, '{"type":"order.created","data":{"id":42}}'),
    '  export EVENT_ID=evt_...',
    '',
    '  # 5. See its delivery and every attempt',
    `  curl -sS ${input.url}/webhooks/events/$EVENT_ID \\`,
    `    ${tenant}`,
  ]
}
