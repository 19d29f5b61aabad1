import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/delivery', () => import('../engine/delivery.test.ts'))
