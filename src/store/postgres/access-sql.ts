import type pg from 'pg'
import { ConflictError, NotFoundError } from '../../core/errors.ts'
import type { ApiKey, BacklogStats, StoredApiKey, Tenant } from '../../core/types.ts'
import { exec, row, rows, statement } from './connection.ts'
import { ms } from '../../core/time.ts'
import { toApiKey, toStoredApiKey, toTenant } from '../row-mapping.ts'

/** The tenant, API key and backlog verbs of the PostgreSQL store. */
export type AccessSql = ReturnType<typeof accessSql>

const insertTenant = statement(
  'INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
)
const selectTenant = statement('SELECT * FROM tenants WHERE id = $1')
const selectTenants = statement('SELECT * FROM tenants ORDER BY id')
const tenantExists = statement('SELECT 1 FROM tenants WHERE id = $1')
// Written only when its tenant exists (or it is an admin key), in one statement; both the id and
// the hash are unique, and either clash leaves the row unwritten. Which of the two stopped it is
// asked only then.
const insertKey = statement(
  `INSERT INTO api_keys (id, tenant, name, roles, hash, created_at)
   SELECT $1, $2::text, $3, $4, $5, $6
   WHERE $2::text IS NULL OR EXISTS (SELECT 1 FROM tenants WHERE id = $2::text)
   ON CONFLICT DO NOTHING`,
)
const selectKeyByHash = statement('SELECT * FROM api_keys WHERE hash = $1')
// Two statements rather than `IS NOT DISTINCT FROM`, which no index serves.
const keysColumns = 'SELECT id, tenant, name, roles, created_at FROM api_keys'
const selectKeys = statement(`${keysColumns} WHERE tenant = $1 ORDER BY created_at, id`)
const selectAdminKeys = statement(`${keysColumns} WHERE tenant IS NULL ORDER BY created_at, id`)
const deleteKey = statement('DELETE FROM api_keys WHERE id = $1')
const countKeys = statement('SELECT COUNT(*) AS n FROM api_keys')
// Each count reads the queue of pending deliveries or a partial index, never the big tables.
const backlog = statement(
  `SELECT
     (SELECT COUNT(*) FROM delivery_queue) AS pending,
     (SELECT COUNT(*) FROM delivery_queue WHERE next_attempt_at <= $1) AS due,
     (SELECT COUNT(*) FROM subscriptions WHERE state = 'disabled') AS disabled`,
)

/** Returns the tenant, key and backlog operations, run on `pool`. */
export function accessSql(pool: pg.Pool) {
  return {
    async insertTenant(tenant: Tenant): Promise<void> {
      const { rowCount } = await exec(pool, insertTenant, [
        tenant.id,
        tenant.name,
        ms(tenant.createdAt),
      ])
      if (rowCount === 0) {
        throw new ConflictError('conflict', `tenant ${tenant.id} exists`, tenant.id)
      }
    },

    async getTenant(id: string): Promise<Tenant | null> {
      const found = await row(pool, selectTenant, [id])
      return found === undefined ? null : toTenant(found)
    },

    async listTenants(): Promise<Tenant[]> {
      return (await rows(pool, selectTenants, [])).map(toTenant)
    },

    async insertApiKey(key: StoredApiKey): Promise<void> {
      const { id, tenant, name, roles, hash, createdAt } = key
      const values = [id, tenant, name, JSON.stringify(roles), hash, ms(createdAt)]
      if ((await exec(pool, insertKey, values)).rowCount !== 0) return
      if (tenant !== null && (await row(pool, tenantExists, [tenant])) === undefined) {
        throw new NotFoundError('tenant', tenant)
      }
      throw new ConflictError('conflict', `api key ${id} exists`)
    },

    async findApiKeyByHash(hash: string): Promise<StoredApiKey | null> {
      const found = await row(pool, selectKeyByHash, [hash])
      return found === undefined ? null : toStoredApiKey(found)
    },

    async listApiKeys(tenant: string | null): Promise<ApiKey[]> {
      const found =
        tenant === null ? await rows(pool, selectAdminKeys) : await rows(pool, selectKeys, [tenant])
      return found.map(toApiKey)
    },

    async deleteApiKey(id: string): Promise<boolean> {
      return ((await exec(pool, deleteKey, [id])).rowCount ?? 0) > 0
    },

    async countApiKeys(): Promise<number> {
      return (await row(pool, countKeys))!.n as number
    },

    async backlogStats(now: number): Promise<BacklogStats> {
      const found = (await row(pool, backlog, [now]))!
      return {
        pending: found.pending as number,
        due: found.due as number,
        disabledSubscriptions: found.disabled as number,
      }
    },
  }
}
