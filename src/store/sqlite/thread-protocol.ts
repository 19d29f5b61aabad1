import {
  ConflictError,
  type ErrorCode,
  HookrelayError,
  NotFoundError,
  UnsafeUrlError,
  ValidationError,
} from '../../core/errors.ts'
import type { Store } from '../store.ts'

/**
 * A verb of the store that the thread runs: every method of the port but `close` and `listen`,
 * and `recordAttemptRows`, which the threaded store sends for `recordAttempts`.
 */
export type StoreVerb =
  Exclude<keyof Store, 'capabilities' | 'close' | 'listen'> | 'recordAttemptRows'

/** One verb call, answered by the reply with the same `id`; sent in arrays of calls. */
export interface CallMessage {
  id: number
  verb: StoreVerb
  args: unknown[]
}

/** What the thread answers, in arrays of replies. */
export type ReplyMessage =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError }

/** The first message from the thread: the database is open and migrated, or it is not. */
export type ReadyMessage = { ready: true } | { ready: false; error: SerializedError }

/** What the thread is started with. */
export interface ThreadData {
  path: string
  synchronous: 'NORMAL' | 'FULL'
}

/** An error as it crosses threads: structured clone keeps neither class nor own fields. */
export interface SerializedError {
  name: string
  message: string
  stack: string | undefined
  code: string | undefined
  field?: string
  resource?: string
  id?: string
  existingId?: string | undefined
}

/** Flattens an error for `postMessage`, keeping what `reviveError` needs to rebuild its class. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) {
    return { name: 'Error', message: String(error), stack: undefined, code: undefined }
  }
  const code = (error as { code?: unknown }).code
  const out: SerializedError = {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof code === 'string' ? code : undefined,
  }
  if (error instanceof ValidationError) out.field = error.field
  if (error instanceof NotFoundError) {
    out.resource = error.resource
    out.id = error.id
  }
  if (error instanceof ConflictError) out.existingId = error.existingId
  return out
}

/** Rebuilds the error a verb threw in the thread, as the same class with the same fields. */
export function reviveError(e: SerializedError): Error {
  let error: Error
  if (e.name === 'ValidationError' && e.field !== undefined) {
    error = new ValidationError(e.field, '', e.code as ErrorCode)
  } else if (e.name === 'NotFoundError' && e.resource !== undefined && e.id !== undefined) {
    error = new NotFoundError(e.resource, e.id)
  } else if (e.name === 'ConflictError') {
    error = new ConflictError(e.code as 'duplicate_subscription' | 'conflict', '', e.existingId)
  } else if (e.name === 'UnsafeUrlError') {
    error = new UnsafeUrlError('')
  } else if (e.name === 'HookrelayError') {
    error = new HookrelayError(e.code as ErrorCode, '')
  } else {
    error = new Error('')
    error.name = e.name
    if (e.code !== undefined) Object.assign(error, { code: e.code })
  }
  error.message = e.message
  if (e.stack !== undefined) error.stack = e.stack
  return error
}
