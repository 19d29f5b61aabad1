import { randomUUID } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import type { SqliteConnection } from './connection.ts'
import type { Leases } from './leases.ts'

/**
 * The right to deliver from one SQLite file, held by one store at a time. SQLite's claims live in
 * the memory of the store that made them (see `claims-sql.ts`), so two stores claiming from one
 * file would hand out the same deliveries; the lock makes every other store a standby that claims
 * nothing until the holder closes, dies or stops renewing.
 *
 * The holder renews the lock as it claims, so it always outlasts every lease it has handed out.
 * A store on the same host (and PID namespace) takes over at once from a holder whose process has
 * died (a SQLite file is only ever shared by processes of one host); otherwise it waits for the
 * lock to expire.
 */
export type DeliveryLock = ReturnType<typeof deliveryLock>

/** What `hold` found: the lock was already this store's, was taken over, or is another's. */
export type LockState = 'kept' | 'taken' | 'busy'

export function deliveryLock(conn: SqliteConnection) {
  const { db } = conn
  const holder = randomUUID()
  const host = processSpace()
  const select = db.prepare('SELECT holder, host, pid, expires_at FROM delivery_lock WHERE id = 1')
  const upsert = db.prepare(
    `INSERT INTO delivery_lock (id, holder, host, pid, expires_at) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, host = excluded.host,
       pid = excluded.pid, expires_at = excluded.expires_at`,
  )
  const remove = db.prepare('DELETE FROM delivery_lock WHERE holder = ?')
  // Until when this store holds the lock as far as it knows, and when it last wrote it: a write
  // undone by a rollback since then is not trusted.
  let heldUntil = 0
  let rollbacksAtWrite = -1
  // Until when another store holds it, as last read (0 when this store holds it).
  let busyUntil = 0

  return {
    /**
     * Makes sure this store holds the lock until at least `now + leaseMs`, writing it only when it
     * has less than that left. `taken` means the lock was not this store's before (first claim,
     * or another store had it), so leases this store made earlier no longer hold.
     */
    hold(now: number, leaseMs: number): LockState {
      if (heldUntil >= now + leaseMs && rollbacksAtWrite === conn.rollbacks) return 'kept'
      const row = select.get()
      const ours = row?.holder === holder
      if (row !== undefined && !ours && (row.expires_at as number) > now && alive(row)) {
        heldUntil = 0
        busyUntil = row.expires_at as number
        return 'busy'
      }
      // Half a lease more than needed: renewed about every half lease while claiming.
      heldUntil = now + leaseMs + Math.ceil(leaseMs / 2)
      upsert.run(holder, host, process.pid, heldUntil)
      rollbacksAtWrite = conn.rollbacks
      busyUntil = 0
      return ours ? 'kept' : 'taken'
    },

    /**
     * Forgets `leases` when the file no longer names this store as the holder: another store took
     * it over (this one stalled past its lock) and may have claimed, sent and recorded them since.
     * Called inside the write transaction that acts on them, where nothing can change the holder
     * before it commits.
     */
    confirm(leases: Leases): void {
      if (leases.size > 0 && select.get()?.holder !== holder) leases.clear()
    },

    /** When another store's lock runs out, or 0 when no other store was found holding it. */
    busyUntil(): number {
      return busyUntil
    },

    /** Gives the lock up (on close), so a standby can take over without waiting. */
    release(): void {
      remove.run(holder)
      heldUntil = 0
    },
  }

  /** Whether the holder's process may still run: only one in this process space can be checked. */
  function alive(row: Record<string, unknown>): boolean {
    if (row.host !== host) return true
    const pid = row.pid as number
    if (pid === process.pid) return true
    try {
      process.kill(pid, 0)
      return true
    } catch (error) {
      // EPERM: it exists, under another user.
      return (error as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
}

/**
 * Where a process id means this process's kind of process: the host, and on Linux the PID
 * namespace (two containers on one host may share a file and a host name, not their pids).
 */
function processSpace(): string {
  try {
    return `${hostname()} ${readlinkSync('/proc/self/ns/pid')}`
  } catch {
    return hostname()
  }
}
