import { onPostgres } from './on-postgres.ts'

await onPostgres('server/events-retry-route', () => import('../server/events-retry-route.test.ts'))
