import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/access-api', () => import('../engine/access-api.test.ts'))
