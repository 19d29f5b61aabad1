import { openStatusesSql as open } from '../../core/delivery-status.ts'
import { ConflictError, NotFoundError } from '../../core/errors.ts'
import type { ApiKey, BacklogStats, StoredApiKey, Tenant } from '../../core/types.ts'
import type { SqliteConnection } from './connection.ts'
import type { Leases } from './leases.ts'
import { ms } from '../../core/time.ts'
import { toApiKey, toStoredApiKey, toTenant } from '../row-mapping.ts'

/** The tenant, API key and backlog verbs of the SQLite store. */
export type AccessSql = ReturnType<typeof accessSql>

/** Prepares the tenant, key and backlog statements once and returns the operations that use them. */
export function accessSql(conn: SqliteConnection, leases: Leases) {
  const { db, transaction } = conn
  const insertTenant = db.prepare(
    `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  )
  const selectTenant = db.prepare('SELECT * FROM tenants WHERE id = ?')
  const selectTenants = db.prepare('SELECT * FROM tenants ORDER BY id')
  const tenantExists = db.prepare('SELECT 1 FROM tenants WHERE id = ?')
  // Both the id and the hash are unique; either clash leaves the row unwritten.
  const insertKey = db.prepare(
    `INSERT INTO api_keys (id, tenant, name, roles, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  )
  const selectKeyByHash = db.prepare('SELECT * FROM api_keys WHERE hash = ?')
  // `IS` matches NULL for the admin keys and still walks the (tenant, created_at, id) index.
  const selectKeys = db.prepare(
    `SELECT id, tenant, name, roles, created_at FROM api_keys WHERE tenant IS ?
     ORDER BY created_at, id`,
  )
  const deleteKey = db.prepare('DELETE FROM api_keys WHERE id = ?')
  const countKeys = db.prepare('SELECT COUNT(*) AS n FROM api_keys')
  // Each count reads a partial index (deliveries_due, subscriptions_disabled), never a table.
  const backlog = db.prepare(
    `SELECT
       (SELECT COUNT(*) FROM deliveries WHERE status IN ${open}) AS pending,
       (SELECT COUNT(*) FROM deliveries WHERE status IN ${open} AND next_attempt_at <= ?) AS due,
       (SELECT COUNT(*) FROM subscriptions WHERE state = 'disabled') AS disabled`,
  )

  return {
    insertTenant(tenant: Tenant): void {
      const { changes } = insertTenant.run(tenant.id, tenant.name, ms(tenant.createdAt))
      if (changes === 0)
        throw new ConflictError('conflict', `tenant ${tenant.id} exists`, tenant.id)
    },

    getTenant(id: string): Tenant | null {
      const row = selectTenant.get(id)
      return row === undefined ? null : toTenant(row)
    },

    listTenants(): Tenant[] {
      return selectTenants.all().map(toTenant)
    },

    insertApiKey(key: StoredApiKey): void {
      transaction(() => {
        if (key.tenant !== null && tenantExists.get(key.tenant) === undefined) {
          throw new NotFoundError('tenant', key.tenant)
        }
        const { id, tenant, name, roles, hash, createdAt } = key
        const written = insertKey.run(id, tenant, name, JSON.stringify(roles), hash, ms(createdAt))
        if (written.changes === 0) throw new ConflictError('conflict', `api key ${id} exists`)
      })
    },

    findApiKeyByHash(hash: string): StoredApiKey | null {
      const row = selectKeyByHash.get(hash)
      return row === undefined ? null : toStoredApiKey(row)
    },

    listApiKeys(tenant: string | null): ApiKey[] {
      return selectKeys.all(tenant).map(toApiKey)
    },

    deleteApiKey(id: string): boolean {
      return deleteKey.run(id).changes > 0
    },

    countApiKeys(): number {
      return countKeys.get()!.n as number
    },

    backlogStats(now: number): BacklogStats {
      const row = backlog.get(now)!
      return {
        pending: row.pending as number,
        // Every delivery leased is due (only due ones are claimed), but it is not waiting. Another
        // process's leases are not known here, so beside a separate worker process this counts
        // the deliveries it holds as due.
        due: Math.max(0, (row.due as number) - leases.liveCount(now)),
        disabledSubscriptions: row.disabled as number,
      }
    },
  }
}
