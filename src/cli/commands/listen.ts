import { styleText } from 'node:util'
import type { Command } from 'commander'
import type { ListenStyle } from '../listen-format.ts'
import { type ListenFlags, type ListenOptions, resolveListenOptions } from '../listen-options.ts'

/**
 * Adds `hookrelay listen`: a local receiver that prints each webhook as it arrives and checks
 * its signature, until Ctrl-C or SIGTERM (exit 0).
 */
export function addListenCommand(program: Command): void {
  program
    .command('listen')
    .description('Receive webhooks locally: print each one as it arrives and check its signature.')
    .option('-p, --port <port>', 'port to listen on, 0 picks a free one (default 9000)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--path <path>', 'accept only this path, others answer 404 (default: any path)')
    .option(
      '--secret <secret>',
      "the subscription's secret to check signatures with; repeatable, e.g. during a rotation " +
        '(HOOKRELAY_SECRET; default: signatures are not checked)',
      collect,
    )
    .option(
      '--scheme <scheme>',
      'standard | github | servicestack | superoffice (default: detected from the headers)',
    )
    .option('--status <code>', 'status to answer every request with, 200-599 (default 200)')
    .option(
      '--forward-to <url>',
      'send each webhook on to this URL (your app) with its headers and body as received, and ' +
        "answer with the app's status and body; 502 when it cannot be reached",
    )
    .option('--json', 'print one JSON object per request instead of the readable view')
    .addHelpText(
      'after',
      `
Examples:
  hookrelay listen --port 9000 --path /webhooks --secret "$SECRET"
  # then subscribe http://127.0.0.1:9000/webhooks (serve needs --allow-private 127.0.0.0/8)
  hookrelay listen --port 9000 --secret "$SECRET" --forward-to http://127.0.0.1:3000/webhooks
  # your app on port 3000 gets each webhook, signature intact, and its answer goes back

An invalid signature is shown, but still answered with --status (or forwarded): this is a
debugging tool.`,
    )
    .action(async (flags: ListenFlags) => {
      const options = resolveListenOptions(flags, process.env)
      const { startListenServer } = await import('../listen-server.ts')
      const { formatWebhook, formatWebhookJson } = await import('../listen-format.ts')
      const style: ListenStyle = (format, text) =>
        styleText(format, text, { stream: process.stdout })
      const server = await startListenServer({
        ...options,
        onRequest: (request) =>
          process.stdout.write(
            options.json ? formatWebhookJson(request) : formatWebhook(request, style),
          ),
      })
      // With --json, stdout carries only the requests, so a script can read it line by line.
      const out = options.json ? process.stderr : process.stdout
      out.write(startText(server.url, options))
      const stop = () => {
        server.close().then(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}

function startText(url: string, options: ListenOptions): string {
  const accepts = options.path === null ? ' (any path)' : ''
  const secrets = options.secrets.length
  const checking =
    secrets === 0
      ? 'not checking signatures: no --secret or HOOKRELAY_SECRET'
      : `checking signatures with ${secrets} secret${secrets === 1 ? '' : 's'}` +
        (options.scheme === null ? ', scheme detected from the headers' : `, ${options.scheme}`)
  const answering =
    options.forwardTo === null
      ? `Answering ${options.status}`
      : `Forwarding to ${options.forwardTo} and answering what it answers`
  return (
    `Listening for webhooks on ${url}${accepts}: subscribe this URL.\n` +
    `${answering}, ${checking}. Ctrl-C to stop.\n\n`
  )
}

// Commander passes the previous value: a repeated --secret adds up instead of replacing.
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
