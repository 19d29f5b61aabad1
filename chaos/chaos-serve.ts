import { type CliProcess, type Served, startServe, stop } from '../test/cli/serve-process.ts'
import { serveFlags } from '../test/support/faults.ts'

/**
 * Starts a real `hookrelay serve` (API and worker in one process) on `database` with the fault
 * tests' flags (`serveFlags`), then `extra` flags, and `env`.
 */
export function startChaosServe(
  database: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<Served> {
  return startServe([...serveFlags(database), ...extra], env)
}

/** Whether the process is still running (it has neither exited nor been killed). */
export function running(cli: CliProcess): boolean {
  return cli.child.exitCode === null && cli.child.signalCode === null
}

/**
 * Stops the process if it is still running: SIGTERM, then SIGKILL when it has not exited within
 * `graceMs`; with `graceMs` 0, SIGKILL at once (for a server whose graceful stop would wait on
 * receivers that never answer). For the `finally` of a scenario, which must leave no process
 * behind.
 */
export async function stopQuietly(cli: CliProcess | undefined, graceMs = 5_000): Promise<void> {
  if (cli === undefined || !running(cli)) return
  if (graceMs === 0) {
    await stop(cli, 'SIGKILL')
    return
  }
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), graceMs)
  await stop(cli)
  clearTimeout(timer)
}
