import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { type Job, Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { Agent } from 'undici'
import { envelope, eventData } from '../src/bench/payload.ts'
import type { ReceiverProcess } from '../src/bench/receiver-process.ts'
import { benchId, type SignedPost, signedPoster } from '../src/bench/signed-post.ts'

/** Options of `runBullmqSender`. */
export interface BullmqSenderOptions {
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

/** The host and port of a `redis://` URL. */
function connectionOf(url: string): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || 6379) }
}

/**
 * A client for BullMQ: as an ES module it takes a constructed ioredis client, not options. Its
 * blocking commands must not give up on a slow answer (`maxRetriesPerRequest: null`).
 */
function redisClient(url: string): Redis {
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
  const { receiver, jobs } = options
  const name = `hookrelay-bench-${randomBytes(6).toString('hex')}`
  // A path of its own per run: its ids start from 0 again.
  const path = `${pathPrefix}/${name}`
  const queueClient = redisClient(options.url)
  const workerClient = redisClient(options.url)
  const queue = new Queue<SignedPost>(name, { connection: queueClient })
  const errors: string[] = []
  queue.on('error', (error) => errors.push(error.message))
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 })
  const post = signedPoster(agent)
  let worker: Worker<SignedPost> | undefined
  try {
    const url = `http://127.0.0.1:${receiver.port}${path}`
    const dataJson = JSON.stringify(eventData(1))
    const enqueueStarted = performance.now()
    for (let first = 0; first < jobs; first += 1_000) {
      const chunk = []
      for (let n = first; n < Math.min(first + 1_000, jobs); n++) {
        const eventId = benchId('evt', n)
        const body = envelope(eventId, new Date().toISOString(), dataJson)
        chunk.push({ name: 'deliver', data: { url, eventId, deliveryId: benchId('dlv', n), body } })
      }
      // Completed and failed jobs are dropped, as a sender that keeps no log would.
      await queue.addBulk(
        chunk.map((job) => ({ ...job, opts: { removeOnComplete: true, removeOnFail: true } })),
      )
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000

    const before = await receiver.counts()
    let completed = 0
    let allDone: () => void = () => {}
    const done = new Promise<void>((resolve) => {
      allDone = resolve
    })
    const started = performance.now()
    worker = new Worker<SignedPost>(
      name,
      async (job: Job<SignedPost>) => {
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
