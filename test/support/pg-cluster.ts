import { execFile, execFileSync } from 'node:child_process'
import { userInfo } from 'node:os'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A local PostgreSQL cluster that `pg_ctlcluster` (Debian's postgresql-common) controls. */
export interface PgCluster {
  version: string
  name: string
  port: number
}

/**
 * The cluster serving `url`, found by its port in `pg_lsclusters`, or why it cannot be restarted
 * from here: not a local server, no `pg_ctlcluster`, or neither root nor the cluster's owner.
 */
export function findCluster(url: string): PgCluster | { skip: string } {
  const parsed = new URL(url)
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (!['', 'localhost', '127.0.0.1', '::1'].includes(host)) {
    return { skip: `${host} is not a local server` }
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port)
  let listing: string
  try {
    execFileSync('pg_ctlcluster', ['--help'], { stdio: 'ignore' })
  } catch (error) {
    // It answers --help with exit status 1; only a missing command is a reason to skip.
    if ((error as { code?: unknown }).code === 'ENOENT') return { skip: 'pg_ctlcluster not found' }
  }
  try {
    listing = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
  } catch {
    return { skip: 'pg_lsclusters failed' }
  }
  for (const line of listing.split('\n')) {
    const [version, name, clusterPort, , owner] = line.trim().split(/\s+/)
    if (version === undefined || name === undefined || Number(clusterPort) !== port) continue
    if (process.getuid?.() !== 0 && userInfo().username !== owner) {
      return { skip: `restarting cluster ${version}/${name} needs root or ${owner ?? 'its owner'}` }
    }
    return { version, name, port }
  }
  return { skip: `no pg_ctlcluster cluster listens on port ${port}` }
}

/** Runs `pg_ctlcluster <version> <name> <action>`. */
export async function pgCtl(cluster: PgCluster, action: 'start' | 'stop'): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, action])
}

/** Starts the cluster unless it is running; never throws. */
export async function ensureRunning(cluster: PgCluster): Promise<void> {
  try {
    await run('pg_ctlcluster', [cluster.version, cluster.name, 'status'])
  } catch {
    await pgCtl(cluster, 'start').catch(() => {})
  }
}
