/** What the parent asks the receiver process over IPC. */
export type ParentMessage = { type: 'counts' } | { type: 'stop' }

/** The receiver's counters at one moment, plus the CPU time its process has used so far. */
export interface ReceiverCounts {
  total: number
  byPath: Record<string, number>
  /** Per path under `/unique/`: requests whose `webhook-id` had already arrived on that path. */
  duplicates: Record<string, number>
  cpuMs: number
}

/** What the receiver process answers. */
export type ReceiverMessage =
  { type: 'ready'; port: number } | ({ type: 'counts' } & ReceiverCounts)
