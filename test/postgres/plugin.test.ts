import { onPostgres } from './on-postgres.ts'

await onPostgres('server/plugin', () => import('../server/plugin.test.ts'))
