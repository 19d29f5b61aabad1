import { PgBoss } from 'pg-boss'
import { Agent } from 'undici'
import { dropSchema, freshSchema, serverUrl, withClient } from './postgres-schema.ts'
import type { ReceiverProcess } from '../src/bench/receiver-process.ts'
import { type SignedPost, signedPoster } from '../src/bench/signed-post.ts'
import { deliveryJobChunks } from './sender-jobs.ts'

/** Options of `runPgBossSender`. */
export interface PgBossSenderOptions {
  receiver: ReceiverProcess
  /** The server: `postgres://…`; pg-boss gets a fresh schema of its own there. */
  url: string
  /** Jobs queued and sent, one per delivery. */
  jobs: number
  /** Jobs each fetch takes. */
  batchSize: number
  /** Fetch loops in this process, each with one batch in flight. */
  localConcurrency: number
  /** The idle poll; a full batch fetches again at once (`burstWhenBatchFull`). */
  pollingIntervalSeconds: number
  /** Connections in pg-boss's pool. */
  poolSize: number
}

/** What the pg-boss sender measured and what it checked. */
export interface PgBossSenderResult {
  /** Jobs sent with a 2xx and completed, and the seconds from `work()` to the last completion. */
  count: number
  seconds: number
  /** Time to queue the jobs (`insert` in chunks of 1,000), not part of the rate. */
  enqueueSeconds: number
  /** Jobs by state in pg-boss's table after the run. */
  jobsByState: Record<string, number>
  /** Requests the receiver counted, and repeats of a `webhook-id` among them. */
  received: number
  duplicates: number
  problems: string[]
}

const queue = 'webhooks'
const pathPrefix = '/unique/pg-boss'

/**
 * The do-it-yourself reference of the design: a pg-boss queue holding one job per delivery (its
 * URL and body), and a worker that fetches batches, signs each body and POSTs it with undici, as
 * the ceiling does. Nothing is logged but pg-boss's own job state. Timed from `work()` until every
 * job is completed.
 */
export async function runPgBossSender(options: PgBossSenderOptions): Promise<PgBossSenderResult> {
  const { receiver, jobs } = options
  const schema = freshSchema('pgboss_bench')
  // A path of its own per run: its ids start from 0 again.
  const path = `${pathPrefix}/${schema}`
  const boss = new PgBoss({
    connectionString: serverUrl(options.url),
    schema,
    max: options.poolSize,
    // Only the queue: no cron, no maintenance passes competing for the cores while timed.
    schedule: false,
    supervise: false,
  })
  const errors: string[] = []
  boss.on('error', (error: Error) => errors.push(error.message))
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 })
  const post = signedPoster(agent)
  try {
    await boss.start()
    await boss.createQueue(queue)
    const url = `http://127.0.0.1:${receiver.port}${path}`
    const enqueueStarted = performance.now()
    for (const chunk of deliveryJobChunks(url, jobs)) {
      await boss.insert(
        queue,
        chunk.map((data) => ({ data })),
      )
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000

    const before = await receiver.counts()
    let sent = 0
    let allSent: () => void = () => {}
    const done = new Promise<void>((resolve) => {
      allSent = resolve
    })
    const started = performance.now()
    await boss.work<SignedPost>(
      queue,
      {
        batchSize: options.batchSize,
        localConcurrency: options.localConcurrency,
        pollingIntervalSeconds: options.pollingIntervalSeconds,
        burstWhenBatchFull: true,
      },
      async (batch) => {
        await Promise.all(
          batch.map(async (job) => {
            const status = await post(job.data)
            // A throw fails the whole batch, and pg-boss retries it: at least once, as it promises.
            if (status < 200 || status >= 300) throw new Error(`the receiver answered ${status}`)
          }),
        )
        sent += batch.length
        if (sent >= jobs) allSent()
      },
    )
    await done
    // Stopping waits for the batches in hand, so their completions are committed after this.
    await boss.offWork(queue, { wait: true })
    const seconds = (performance.now() - started) / 1000
    const after = await receiver.counts()

    const jobsByState = await withClient(options.url, async (client) => {
      const result = await client.query(
        `SELECT state::text AS state, COUNT(*)::int AS n FROM "${schema}".job
         WHERE name = $1 GROUP BY state`,
        [queue],
      )
      return Object.fromEntries(result.rows.map((r) => [r.state as string, r.n as number]))
    })
    const received = (after.byPath[path] ?? 0) - (before.byPath[path] ?? 0)
    const duplicates = (after.duplicates[path] ?? 0) - (before.duplicates[path] ?? 0)
    const completed = jobsByState.completed ?? 0
    const problems = errors.map((e) => `pg-boss: ${e}`)
    if (received !== jobs) problems.push(`receiver counted ${received} of ${jobs} requests`)
    if (duplicates > 0) problems.push(`${duplicates} jobs reached the receiver more than once`)
    if (completed !== jobs) {
      problems.push(`${completed} of ${jobs} jobs completed (${JSON.stringify(jobsByState)})`)
    }
    return {
      count: completed,
      seconds,
      enqueueSeconds,
      jobsByState,
      received,
      duplicates,
      problems,
    }
  } finally {
    await boss.stop({ graceful: false, close: true })
    await agent.close()
    await dropSchema(options.url, schema)
  }
}
