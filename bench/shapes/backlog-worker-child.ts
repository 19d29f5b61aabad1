/**
 * The backlog row's worker, in a process of its own so that its resident set is its own: opens an
 * engine with its worker on the database named by `argv[2]` once the parent says `start`, says
 * `started` with the time, then every second its `process.memoryUsage()` (where the RSS goes), and
 * on `stop` drains, closes and exits.
 */
import type { Hookrelay } from '../../src/index.ts'
import { shapeEngine } from './common.ts'

const database = process.argv[2]
if (database === undefined) throw new Error('usage: backlog-worker-child.ts <database>')
let hooks: Hookrelay | null = null
let memory: NodeJS.Timeout | null = null

process.on('message', (message: { type: 'start' | 'stop' }) => {
  void (async () => {
    if (message.type === 'start') {
      hooks = await shapeEngine(database)
      process.send?.({ type: 'started', at: performance.timeOrigin + performance.now() })
      memory = setInterval(
        () => process.send?.({ type: 'memory', ...process.memoryUsage() }),
        1_000,
      )
    } else {
      if (memory !== null) clearInterval(memory)
      await hooks?.drain()
      await hooks?.close()
      process.send?.({ type: 'stopped' })
      process.disconnect()
    }
  })()
})
process.on('disconnect', () => process.exit(0))
process.send?.({ type: 'ready' })
