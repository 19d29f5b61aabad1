import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/scheduler', () => import('../engine/scheduler.test.ts'))
