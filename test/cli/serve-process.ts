import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

// Every child still running, so a runner that is dying can take them with it.
const live = new Set<ChildProcess>()

/** Remembers `child` until it ends, for `killLiveChildren`. Returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  live.add(child)
  child.on('exit', () => live.delete(child))
  return child
}

/**
 * Kills (SIGKILL) every child started here that is still running. Synchronous, so it can run in a
 * process's `exit` handler: a runner that dies must not leave servers behind.
 */
export function killLiveChildren(): void {
  for (const child of live) child.kill('SIGKILL')
}

/** A `hookrelay` child process with its output collected as it arrives. */
export interface CliProcess {
  child: ChildProcess
  /** Everything written to stdout so far. */
  stdout(): string
  /** Everything written to stderr so far. */
  stderr(): string
  /** The JSON log lines on stdout so far (it is a pipe, so pino writes JSON). */
  logs(): Record<string, unknown>[]
  /** Resolves when `predicate` holds for stdout; rejects after `timeoutMs` or on exit. */
  waitFor(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<void>
  /** The exit code (null when killed by a signal), once the process has ended. */
  exited: Promise<number | null>
}

/**
 * Runs `hookrelay <args>` with no `HOOKRELAY_*` variables from the test's environment. Its stdin
 * is `input` when given, otherwise empty.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): CliProcess {
  return runScript(main, args, env, input)
}

/** Runs a TypeScript file with node, as `runCli` runs the command. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): CliProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('HOOKRELAY_')),
  )
  const child = trackChild(
    spawn(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', script, ...args],
      { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  )
  // Closed at once: a command that reads stdin sees `input`, or nothing, and never waits.
  // A child that exits without reading it makes the write fail with EPIPE: that is no error here.
  child.stdin.on('error', () => {})
  child.stdin.end(input)
  let out = ''
  let err = ''
  let ended = false
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of listeners) listener()
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    changed()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      ended = true
      changed()
      resolve(code)
    })
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(out)) {
            done()
            resolve()
          } else if (ended) {
            done()
            reject(new Error(`exited before the expected output.\nstdout: ${out}\nstderr: ${err}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for output.\nstdout: ${out}\nstderr: ${err}`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      })
    },
  }
}

/** A started `hookrelay serve`: its process and the URL it printed. */
export interface Served extends CliProcess {
  url: string
}

/** Starts `hookrelay serve <args>` and waits until it has printed its banner and logged 'ready'. */
export async function startServe(args: string[], env: Record<string, string> = {}) {
  const cli = runCli(['serve', ...args], env)
  await cli.waitFor((out) => /"msg":"ready"/.test(out))
  const url = /is listening on (http:\/\/\S+)/.exec(cli.stdout())?.[1]
  if (url === undefined) throw new Error(`no URL printed:\n${cli.stdout()}`)
  return { ...cli, url } satisfies Served
}

/** Sends `signal` and resolves with the exit code. */
export function stop(cli: CliProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  cli.child.kill(signal)
  return cli.exited
}
