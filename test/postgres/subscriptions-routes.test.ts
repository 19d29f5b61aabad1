import { onPostgres } from './on-postgres.ts'

await onPostgres(
  'server/subscriptions-routes',
  () => import('../server/subscriptions-routes.test.ts'),
)
