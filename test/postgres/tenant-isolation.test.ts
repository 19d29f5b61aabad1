import { onPostgres } from './on-postgres.ts'

await onPostgres('server/tenant-isolation', () => import('../server/tenant-isolation.test.ts'))
