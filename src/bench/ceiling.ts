import { Agent } from 'undici'
import { envelope, eventData } from './payload.ts'
import { benchId, signedPoster } from './signed-post.ts'

/** Options of `runCeiling`. */
export interface CeilingOptions {
  port: number
  /** Requests timed. */
  count: number
  /** Requests sent before the clock starts. */
  warmup: number
  /** Requests in flight at once. */
  inFlight: number
  /** Called just before and after the timed requests (profilers hook in here). */
  phase?: { started(): Promise<void>; ended(): Promise<void> }
}

/** What a ceiling run measured. */
export interface CeilingResult {
  count: number
  seconds: number
  /** The warm-up's requests and time: the rate of cold code (this process's first requests). */
  warmup: { count: number; seconds: number }
  /** Requests that did not answer 200 (should be 0). */
  failed: number
  /** CPU time this process used while timed. */
  cpuMs: number
  /** Share of the timed run the event loop was busy, 0–1. */
  eventLoopUtilization: number
}

/**
 * The reference: what this machine can sign and POST with undici when nothing is stored. Each
 * request does the per-delivery work of a hand-written sender (build the envelope around stored
 * data JSON, sign it standard-webhooks style, POST it with undici's `request()` over a keep-alive
 * pool, read the answer) and nothing else. Hookrelay's sender makes the same POST through
 * undici's lower-level `dispatch` (see `HttpSender`), which costs less per request.
 */
export async function runCeiling(options: CeilingOptions): Promise<CeilingResult> {
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 })
  const post = signedPoster(agent)
  const url = `http://127.0.0.1:${options.port}/ceiling`
  const dataJson = JSON.stringify(eventData(1))
  let failed = 0

  const send = async (n: number): Promise<void> => {
    const eventId = benchId('evt', n)
    const body = envelope(eventId, new Date().toISOString(), dataJson)
    const status = await post({ url, eventId, deliveryId: benchId('dlv', n), body })
    if (status !== 200) failed++
  }

  const run = async (total: number, offset: number): Promise<void> => {
    let next = 0
    const lane = async () => {
      while (next < total) await send(offset + next++)
    }
    await Promise.all(Array.from({ length: Math.min(options.inFlight, total) }, lane))
  }

  try {
    const warmupStarted = performance.now()
    await run(options.warmup, 0)
    const warmupSeconds = (performance.now() - warmupStarted) / 1000
    failed = 0
    await options.phase?.started()
    const cpuBefore = process.cpuUsage()
    const eluBefore = performance.eventLoopUtilization()
    const started = performance.now()
    await run(options.count, options.warmup)
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const elu = performance.eventLoopUtilization(eluBefore)
    await options.phase?.ended()
    return {
      count: options.count,
      seconds,
      warmup: { count: options.warmup, seconds: warmupSeconds },
      failed,
      cpuMs: (cpu.user + cpu.system) / 1000,
      eventLoopUtilization: elu.utilization,
    }
  } finally {
    await agent.close()
  }
}
