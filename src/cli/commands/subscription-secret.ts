import type { Command } from 'commander'
import type { RotatedSecret } from '../../subscriptions-api.ts'
import { path } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor, show } from '../api-command.ts'
import { formatTime } from '../output.ts'

/** Adds `subs rotate-secret <id>` to the `subscriptions` group. */
export function addRotateSecretCommand(group: Command): void {
  apiCommand(
    group,
    'rotate-secret <id>',
    'Replace the signing secret; prints the new one, and when the old one stops signing.',
    [
      'hookrelay subs rotate-secret sub_01HV...',
      'hookrelay subs rotate-secret sub_01HV... --secret "$NEW_SECRET"',
    ],
  )
    .option('--secret <secret>', 'the new secret (default: one is generated)')
    .action(async (id: string, flags: ApiFlags & { secret?: string }) => {
      const body = flags.secret === undefined ? {} : { secret: flags.secret }
      const rotated = await clientFor(flags).post<RotatedSecret>(
        path`/webhooks/subscriptions/${id}/rotate-secret`,
        body,
      )
      show(flags, rotated, (r) => {
        // Until then deliveries carry a signature by each secret, so receivers can switch over.
        const old =
          r.previousExpiresAt === null
            ? 'No other secret signs any more.'
            : `The old secret also signs until ${formatTime(r.previousExpiresAt)}.`
        process.stdout.write(`New signing secret of ${id}, keep it:\n\n  ${r.secret}\n\n${old}\n`)
      })
    })
}
