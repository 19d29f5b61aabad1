import { type Logger, pino } from 'pino'
import pretty from 'pino-pretty'
import type { LogLevel } from './serve-options.ts'

/**
 * The server's logger: pino writing JSON lines to stdout, or colourised readable lines when
 * stdout is a terminal. Both write synchronously, so log lines and printed banners keep their
 * order.
 */
export function createCliLogger(level: LogLevel, terminal: boolean): Logger {
  const options = { name: 'hookrelay', level }
  if (!terminal) return pino(options, pino.destination({ dest: 1, sync: true }))
  return pino(
    options,
    pretty({
      colorize: true,
      sync: true,
      destination: 1,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
    }),
  )
}
