/** What the parent asks the receiver process over IPC. */
export type ParentMessage = { type: 'counts' } | { type: 'stop' }

/** What the receiver process answers. */
export type ReceiverMessage =
  | { type: 'ready'; port: number }
  | { type: 'counts'; total: number; byPath: Record<string, number>; cpuMs: number }

/** The receiver's counters at one moment, plus the CPU time its process has used so far. */
export interface ReceiverCounts {
  total: number
  byPath: Record<string, number>
  cpuMs: number
}
