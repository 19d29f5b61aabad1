import { onPostgres } from './on-postgres.ts'

await onPostgres('server/auth-and-limits', () => import('../server/auth-and-limits.test.ts'))
