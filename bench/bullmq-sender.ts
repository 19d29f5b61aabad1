import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Agent } from 'undici'
import type { ReceiverProcess } from '../src/bench/receiver-process.ts'
import { type SignedPost, signedPoster } from '../src/bench/signed-post.ts'
import { deliveryJobChunks } from './sender-jobs.ts'

/** ioredis's client, as far as the sender uses it. */
interface RedisClient {
  disconnect(): void
}

interface RedisClass {
  new (options: { host: string; port: number; maxRetriesPerRequest: null }): RedisClient
}

/** A job queued with `addBulk`; completed and failed ones may be dropped at once. */
interface BulkJob<T> {
  name: string
  data: T
  opts: { removeOnComplete: boolean; removeOnFail: boolean }
}

/** BullMQ's `Queue`, as far as the sender uses it. */
interface BullQueue<T> {
  addBulk(jobs: BulkJob<T>[]): Promise<unknown>
  on(event: 'error', listener: (error: Error) => void): unknown
  obliterate(opts: { force: boolean }): Promise<void>
  close(): Promise<void>
}

interface QueueClass {
  new <T>(name: string, opts: { connection: RedisClient }): BullQueue<T>
}

/** BullMQ's `Worker`, as far as the sender uses it; the processor reads only a job's data. */
interface BullWorker {
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'failed', listener: (job: unknown, error: Error) => void): unknown
  on(event: 'completed', listener: () => void): unknown
  close(): Promise<void>
}

interface WorkerClass {
  new <T>(
    name: string,
    processor: (job: { data: T }) => Promise<void>,
    opts: { connection: RedisClient; concurrency: number },
  ): BullWorker
}

/** BullMQ and the ioredis it resolves, loaded from `.bench/bullmq/` by `loadBullmq`. */
export interface Bullmq {
  Queue: QueueClass
  Worker: WorkerClass
  Redis: RedisClass
}

/** Options of `runBullmqSender`. */
export interface BullmqSenderOptions {
  bullmq: Bullmq
  receiver: ReceiverProcess
  /** The Redis server: `redis://host:port`. */
  url: string
  /** Jobs queued and sent, one per delivery. */
  jobs: number
  /** Jobs the worker runs at once. */
  concurrency: number
}

/** What the BullMQ sender measured and what it checked. */
export interface BullmqSenderResult {
  /** Jobs sent with a 2xx and completed, and the seconds from the worker's start to the last. */
  count: number
  seconds: number
  /** Jobs queued. */
  jobs: number
  /** Time to queue the jobs (`addBulk` in chunks of 1,000), not part of the rate. */
  enqueueSeconds: number
  received: number
  duplicates: number
  problems: string[]
}

const pathPrefix = '/unique/bullmq'

/** Where BullMQ is installed on first use: git-ignored, and no part of the package's lock. */
const installDir = new URL('../.bench/bullmq/', import.meta.url)
const manifestUrl = new URL('package.json', installDir)
// ioredis is an optional peer of BullMQ, so npm would leave it out unless named here.
const manifest = `${JSON.stringify(
  { private: true, dependencies: { bullmq: '^6.0.0', ioredis: '^6.0.0' } },
  null,
  2,
)}\n`

/** The entry files of BullMQ and of the ioredis it requires, or null when they do not resolve. */
function resolveBullmq(): { bullmq: string; ioredis: string } | null {
  try {
    const bullmq = createRequire(manifestUrl).resolve('bullmq')
    return { bullmq, ioredis: createRequire(bullmq).resolve('ioredis') }
  } catch {
    return null
  }
}

/** `npm install` in `.bench/bullmq`, with the npm running this bench when there is one. */
async function installBullmq(): Promise<void> {
  const args = ['install', '--no-audit', '--no-fund', '--loglevel=error']
  const npmCli = process.env.npm_execpath
  const [command, commandArgs] =
    npmCli?.endsWith('.js') === true ? [process.execPath, [npmCli, ...args]] : ['npm', args]
  await promisify(execFile)(command, commandArgs, {
    cwd: installDir,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  })
}

/** Why npm failed, on one line: its first explanation and its error code. */
function npmFailure(error: unknown): string {
  const stderr = String((error as { stderr?: unknown }).stderr ?? '')
  // Unindented `npm error` lines; indented ones continue a stack or an object.
  const lines = stderr
    .split('\n')
    .filter((line) => /^npm (error|ERR!) \S/.test(line))
    .map((line) => line.replace(/^npm (error|ERR!) /, '').trim())
  const code = lines.find((line) => line.startsWith('code '))?.slice(5)
  const why =
    lines.find((line) => !/^(code|syscall|errno|path|A complete log)\b/.test(line)) ??
    (error as Error).message.split('\n')[0] ??
    String(error)
  return code === undefined ? why : `${why} (${code})`
}

/**
 * BullMQ for its reference row. It is not a dependency of the package: its optional native
 * msgpackr-extract lists platform packages this machine's registry lacks, so no complete lock
 * can be made for `npm ci`. It is installed on first use into `.bench/bullmq/` (again when the
 * manifest written there changes) and imported from there. Resolves to why when it cannot be.
 */
export async function loadBullmq(): Promise<Bullmq | { failed: string }> {
  const current = await readFile(manifestUrl, 'utf8').catch(() => null)
  let entries = current === manifest ? resolveBullmq() : null
  if (entries === null) {
    console.log('installing BullMQ into .bench/bullmq for its reference row (once)')
    try {
      await mkdir(installDir, { recursive: true })
      await writeFile(manifestUrl, manifest)
      await installBullmq()
    } catch (error) {
      return { failed: `npm install in .bench/bullmq failed: ${npmFailure(error)}` }
    }
    entries = resolveBullmq()
    if (entries === null) return { failed: 'bullmq or ioredis is missing from .bench/bullmq' }
  }
  try {
    const bullmq = (await import(pathToFileURL(entries.bullmq).href)) as Partial<Bullmq>
    const ioredis = (await import(pathToFileURL(entries.ioredis).href)) as Partial<Bullmq>
    const { Queue, Worker } = bullmq
    const { Redis } = ioredis
    if (Queue === undefined || Worker === undefined || Redis === undefined) {
      return {
        failed: 'Queue, Worker or Redis is not exported (delete .bench/bullmq to reinstall)',
      }
    }
    return { Queue, Worker, Redis }
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]
    return {
      failed: `loading it from .bench/bullmq failed: ${reason} (delete the folder to reinstall)`,
    }
  }
}

/** The host and port of a `redis://` URL. */
function connectionOf(url: string): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || 6379) }
}

/**
 * A client for BullMQ, which takes a constructed ioredis client here rather than options. Its
 * blocking commands must not give up on a slow answer (`maxRetriesPerRequest: null`).
 */
function redisClient(Redis: RedisClass, url: string): RedisClient {
  return new Redis({ ...connectionOf(url), maxRetriesPerRequest: null })
}

/** Whether a Redis server answers PING at `url` within a second. */
export function redisAnswers(url: string): Promise<boolean> {
  const { host, port } = connectionOf(url)
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 })
    const end = (answered: boolean) => {
      socket.destroy()
      resolve(answered)
    }
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => end(data.toString().startsWith('+PONG')))
    socket.on('timeout', () => end(false))
    socket.on('error', () => end(false))
  })
}

/**
 * The design's other do-it-yourself reference: a BullMQ (Redis) queue holding one job per
 * delivery (its URL and body), and a worker that signs each body and POSTs it with undici, as the
 * ceiling does, with no attempt log. Timed from the worker's start until every job completed.
 */
export async function runBullmqSender(options: BullmqSenderOptions): Promise<BullmqSenderResult> {
  const { bullmq, receiver, jobs } = options
  const name = `hookrelay-bench-${randomBytes(6).toString('hex')}`
  // A path of its own per run: its ids start from 0 again.
  const path = `${pathPrefix}/${name}`
  const queueClient = redisClient(bullmq.Redis, options.url)
  const workerClient = redisClient(bullmq.Redis, options.url)
  const queue = new bullmq.Queue<SignedPost>(name, { connection: queueClient })
  const errors: string[] = []
  queue.on('error', (error) => errors.push(error.message))
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 })
  const post = signedPoster(agent)
  let worker: BullWorker | undefined
  try {
    const url = `http://127.0.0.1:${receiver.port}${path}`
    const enqueueStarted = performance.now()
    for (const chunk of deliveryJobChunks(url, jobs)) {
      // Completed and failed jobs are dropped, as a sender that keeps no log would.
      const opts = { removeOnComplete: true, removeOnFail: true }
      await queue.addBulk(chunk.map((data) => ({ name: 'deliver', data, opts })))
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000

    const before = await receiver.counts()
    let completed = 0
    let allDone: () => void = () => {}
    const done = new Promise<void>((resolve) => {
      allDone = resolve
    })
    const started = performance.now()
    worker = new bullmq.Worker<SignedPost>(
      name,
      async (job) => {
        const status = await post(job.data)
        // A throw fails the job, which BullMQ would retry: at least once, as it promises.
        if (status < 200 || status >= 300) throw new Error(`the receiver answered ${status}`)
      },
      { connection: workerClient, concurrency: options.concurrency },
    )
    worker.on('error', (error) => errors.push(error.message))
    worker.on('failed', (_job, error) => errors.push(error.message))
    worker.on('completed', () => {
      if (++completed >= jobs) allDone()
    })
    await done
    const seconds = (performance.now() - started) / 1000
    const after = await receiver.counts()

    const received = (after.byPath[path] ?? 0) - (before.byPath[path] ?? 0)
    const duplicates = (after.duplicates[path] ?? 0) - (before.duplicates[path] ?? 0)
    const problems = errors.map((e) => `BullMQ: ${e}`)
    if (received !== jobs) problems.push(`receiver counted ${received} of ${jobs} requests`)
    if (duplicates > 0) problems.push(`${duplicates} jobs reached the receiver more than once`)
    return { count: completed, seconds, jobs, enqueueSeconds, received, duplicates, problems }
  } finally {
    await worker?.close()
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    queueClient.disconnect()
    workerClient.disconnect()
    await agent.close()
  }
}
