import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/bulk-retry', () => import('../engine/bulk-retry.test.ts'))
