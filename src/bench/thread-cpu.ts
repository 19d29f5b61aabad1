import { readdirSync, readFileSync } from 'node:fs'

/** CPU time of each of this process's threads at one moment, in ms, by thread id. */
export type ThreadCpuSnapshot = Map<string, { name: string; ms: number }>

const tasks = '/proc/self/task'

/**
 * Reads the CPU time every thread of this process has used so far, from Linux's per-thread
 * scheduler statistics (nanoseconds on CPU). Null where `/proc` has none: other systems.
 */
export function threadCpuSnapshot(): ThreadCpuSnapshot | null {
  let ids: string[]
  try {
    ids = readdirSync(tasks)
  } catch {
    return null
  }
  const snapshot: ThreadCpuSnapshot = new Map()
  for (const id of ids) {
    try {
      const name = readFileSync(`${tasks}/${id}/comm`, 'utf8').trim()
      const ns = Number(readFileSync(`${tasks}/${id}/schedstat`, 'utf8').split(' ')[0])
      if (Number.isFinite(ns)) snapshot.set(id, { name, ms: ns / 1e6 })
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return snapshot
}

/**
 * CPU time used between two snapshots, summed by thread name (`MainThread`, `WorkerThread` for a
 * worker thread such as the SQLite store's, `V8Worker` for V8's helpers, `libuv-worker`), in ms.
 * Null when either snapshot is.
 */
export function threadCpuBetween(
  before: ThreadCpuSnapshot | null,
  after: ThreadCpuSnapshot | null,
): Record<string, number> | null {
  if (before === null || after === null) return null
  const byName: Record<string, number> = {}
  for (const [id, { name, ms }] of after) {
    const used = ms - (before.get(id)?.ms ?? 0)
    if (used > 0) byName[name] = (byName[name] ?? 0) + used
  }
  return byName
}
