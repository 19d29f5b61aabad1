import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/engine-api', () => import('../engine/engine-api.test.ts'))
