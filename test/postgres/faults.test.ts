import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/faults', () => import('../engine/faults.test.ts'))
