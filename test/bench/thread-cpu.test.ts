import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import { threadCpuBetween, threadCpuSnapshot } from '../../src/bench/thread-cpu.ts'

// A worker thread that keeps a core busy until it has used `ms` of CPU, then reports what its own
// clock says it used since it started (its start-up included, as the scheduler counts it), and
// idles until terminated.
const spinner = `
const { parentPort, workerData } = require('node:worker_threads')
const start = process.threadCpuUsage()
let used = 0
while (used < workerData * 1000) {
  const now = process.threadCpuUsage(start)
  used = now.user + now.system
}
const total = process.threadCpuUsage()
parentPort.postMessage((total.user + total.system) / 1000)
// Stay until terminated: a thread that has ended is gone from /proc before the second snapshot.
parentPort.on('message', () => {})
`

// Node names its threads (MainThread, WorkerThread, V8Worker) since version 24 or so.
const snapshot = threadCpuSnapshot()
const skip =
  snapshot === null
    ? 'no /proc/self/task on this system: the split is Linux only'
    : ![...snapshot.values()].some((t) => t.name === 'MainThread')
      ? `Node ${process.version} does not name its threads: the bench prints no split`
      : false

describe('thread CPU by name', () => {
  it("matches a worker thread's own clock", { skip }, async () => {
    const before = threadCpuSnapshot()
    const worker = new Worker(spinner, { eval: true, workerData: 80 })
    const own = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    const after = threadCpuSnapshot()
    await worker.terminate()
    const used = threadCpuBetween(before, after)
    assert.ok(used !== null)
    const seen = used.WorkerThread ?? 0
    // The same CPU time read from two clocks: the scheduler's and the thread's rusage.
    assert.ok(Math.abs(seen - own) < 30, `WorkerThread ${seen} ms, its own clock ${own} ms`)
    assert.ok((used.MainThread ?? 0) > 0)
  })

  it('is null when a snapshot is', () => {
    assert.equal(threadCpuBetween(null, threadCpuSnapshot()), null)
    assert.equal(threadCpuBetween(threadCpuSnapshot(), null), null)
  })
})
