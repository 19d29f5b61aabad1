import { styleText } from 'node:util'
import { type Command, Option } from 'commander'
import type { Logger } from 'pino'
import { logLevels, resolveServeOptions, type ServeFlags, serveRoles } from './serve-options.ts'
import { packageVersion } from './version.ts'

/**
 * Adds `hookrelay serve`: the standalone server (REST API, delivery worker, metrics) until
 * SIGTERM or SIGINT.
 */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the standalone server: REST API, delivery worker, health and metrics.')
    .option('-p, --port <port>', 'port to listen on, 0 picks a free one (HOOKRELAY_PORT, 8080)')
    .option('--host <host>', 'address to listen on (HOOKRELAY_HOST, 127.0.0.1)')
    .option(
      '--database <path|url>',
      'SQLite file, :memory:, or postgres://… (HOOKRELAY_DATABASE, hookrelay.db)',
    )
    .addOption(
      new Option(
        '--allow-private [cidr]',
        'let deliveries reach this private network; repeatable; alone, every private range ' +
          '(HOOKRELAY_ALLOW_PRIVATE, comma-separated or true; default none)',
      ).argParser(collect),
    )
    .option(
      '--admin-key <key>',
      'an admin API key to accept: 16-256 letters, digits, _ . ~ - (HOOKRELAY_ADMIN_KEY; ' +
        'default: one is generated and printed once, on the first start)',
    )
    .option(
      '--role <role>',
      `${serveRoles.join(' | ')}: what this process runs (HOOKRELAY_ROLE, all)`,
    )
    .option(
      '--rate-limit <n>',
      'requests per second per API key, 0 = off (HOOKRELAY_RATE_LIMIT, 1000)',
    )
    .option(
      '--auth-failure-limit <n>',
      'failed authentications per minute per client address, then 429 for it, 0 = off ' +
        '(HOOKRELAY_AUTH_FAILURE_LIMIT, 20)',
    )
    .addOption(
      new Option(
        '--trust-proxy <cidr>',
        "a reverse proxy's address or CIDR whose X-Forwarded-For names the client, for the " +
          'per-address limits; repeatable (HOOKRELAY_TRUST_PROXY, comma-separated; default none)',
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM, how long attempts in flight may finish before they are interrupted and ' +
        'queued again; the API answers 503 meanwhile (HOOKRELAY_SHUTDOWN_GRACE, 10)',
    )
    .option('--log-level <level>', `${logLevels.join(' | ')} (HOOKRELAY_LOG_LEVEL, info)`)
    .action(async (flags: ServeFlags) => {
      const options = resolveServeOptions(flags, process.env)
      // Loaded here, so `--help` and the other commands never load the server and the database.
      const { createCliLogger } = await import('./logger.ts')
      const { startServer } = await import('./start-server.ts')
      const terminal = process.stdout.isTTY === true
      const logger = createCliLogger(options.logLevel, terminal)
      const server = await startServer(options, {
        logger,
        version: packageVersion(),
        print: (text) => process.stdout.write(text),
        style: (format, text) => styleText(format, text, { stream: process.stdout }),
      })
      stopOnSignals(server.close, logger)
    })
}

// Alone, commander sets the option to `true` without calling this; a later CIDR keeps it true.
function collect(value: string, previous: string[] | true | undefined): string[] | true {
  return previous === true ? true : [...(previous ?? []), value]
}

/**
 * SIGTERM or SIGINT: answer 503 to new requests, let attempts in flight finish within the grace
 * (then interrupt and requeue the rest), finish the requests in flight, exit 0. A second signal
 * gives up waiting and exits 1 at once.
 */
function stopOnSignals(close: () => Promise<void>, logger: Logger): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(1)
    }
    stopping = true
    logger.info({ signal }, 'stopping: answering 503, finishing requests and deliveries in flight')
    close().then(
      () => {
        logger.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        logger.error({ err }, 'stopping failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
