import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { testHooks } from '../support/engine.ts'
import { TestReceiver } from '../support/receiver.ts'

let receiver: TestReceiver
let dir: string

before(async () => {
  receiver = await TestReceiver.start()
  dir = mkdtempSync(join(tmpdir(), 'hookrelay-crash-'))
})
after(async () => {
  await receiver.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a worker killed mid-attempt', () => {
  it('loses nothing: after the lease runs out another process delivers it', async () => {
    const database = join(dir, 'hooks.db')
    receiver.queue('/crash', { kind: 'hang' })
    const child = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--no-warnings',
        'test/support/crash-child.ts',
        database,
        `${receiver.url}/crash`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let eventId = ''
    child.stdout.on('data', (chunk: Buffer) => {
      eventId += chunk.toString()
    })
    await receiver.waitFor(1) // the attempt is in flight in the child
    const exited = new Promise((resolve) => child.on('close', (_code, signal) => resolve(signal)))
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')
    eventId = eventId.trim()
    assert.match(eventId, /^evt_/)

    // A new process, 31 s later by its clock: the 30 s lease has run out.
    const { hooks, clock } = await testHooks({ database })
    clock.now = Date.now() + 31_000
    await hooks.drain()
    const detail = await hooks.events.get(eventId)
    await hooks.close()
    assert.equal(receiver.at('/crash').length, 2)
    assert.equal(detail.deliveries[0]!.status, 'succeeded')
    assert.deepEqual(
      detail.attempts.map((a) => a.statusCode),
      [200],
    )
  })
})
