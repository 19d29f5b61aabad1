import { onPostgres } from './on-postgres.ts'

await onPostgres('server/server-e2e', () => import('../server/server-e2e.test.ts'))
