import { onPostgres } from './on-postgres.ts'

await onPostgres('engine/receiver-breaks', () => import('../engine/receiver-breaks.test.ts'))
