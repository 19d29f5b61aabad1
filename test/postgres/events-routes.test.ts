import { onPostgres } from './on-postgres.ts'

await onPostgres('server/events-routes', () => import('../server/events-routes.test.ts'))
