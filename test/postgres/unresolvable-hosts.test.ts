import { onPostgres } from './on-postgres.ts'

await onPostgres('server/unresolvable-hosts', () => import('../server/unresolvable-hosts.test.ts'))
