/** What the parent asks the receiver process over IPC. */
export type ParentMessage =
  | { type: 'counts' }
  | { type: 'stop' }
  /** The arrival statistics of every path under `/shape/` that starts with `prefix`. */
  | { type: 'shape'; prefix: string }
  /** Drops the statistics of the paths starting with `prefix` (their counts stay). */
  | { type: 'forget'; prefix: string }

/** The receiver's counters at one moment, plus the CPU time its process has used so far. */
export interface ReceiverCounts {
  total: number
  byPath: Record<string, number>
  /** Per path under `/unique/`: requests whose `webhook-id` had already arrived on that path. */
  duplicates: Record<string, number>
  cpuMs: number
}

/**
 * What the receiver saw on one path under `/shape/`. Times are `performance.timeOrigin +
 * performance.now()` in the receiver process, taken when the request's headers arrived: ms since
 * the epoch, comparable across processes on one machine.
 */
export interface ShapePathStats {
  count: number
  /** The first and the last arrival. */
  firstAt: number
  lastAt: number
  /** Arrivals per whole second of the epoch: `[second, count]`, in order. */
  perSecond: [number, number][]
  /**
   * Only on paths with a `/lat/` segment, whose event data carries `seq` and `sent` (the sender's
   * clock, as above): per request, the event's `seq` and arrival − `sent` in ms.
   */
  seq: number[]
  latencyMs: number[]
}

/** What the receiver process answers. */
export type ReceiverMessage =
  | { type: 'ready'; port: number }
  | ({ type: 'counts' } & ReceiverCounts)
  | { type: 'shape'; paths: Record<string, ShapePathStats> }
  | { type: 'forgotten' }
