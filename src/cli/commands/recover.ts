import type { Command } from 'commander'
import type { Subscription } from '../../core/types.ts'
import { type ApiClient, path } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor, listAll, type Page, show } from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { createProgress, parseTime, plural } from '../output.ts'

interface RecoverFlags extends ApiFlags {
  since: string
}

/** What one subscription came to: re-queued deliveries, or skipped for its state. */
type Outcome = { id: string; queued: number } | { id: string; skipped: string }

/** What `recover --json` prints. */
interface RecoverResult {
  since: string
  queued: number
  subscriptions: Outcome[]
}

/**
 * Adds `hookrelay recover [ids...] --since <time>`: re-queues failed deliveries (and events missed
 * while paused or disabled) of the given subscriptions, or of every subscription of the tenant.
 */
export function addRecoverCommand(program: Command): void {
  apiCommand(
    program,
    'recover [subscriptions...]',
    'Queue again the failed deliveries since a time, of these subscriptions or of all. ' +
      'With no ids, subscriptions that are not active are skipped.',
    [
      'hookrelay recover --since 2h',
      'hookrelay recover sub_01HV... sub_01HW... --since 2024-05-01T08:00Z',
    ],
  )
    .requiredOption('--since <time>', 'an ISO time, or a time ago (30m, 2h, 7d)')
    .action(async (ids: string[], flags: RecoverFlags) => {
      const since = parseTime(flags.since, '--since')
      const client = clientFor(flags)
      const result = await recover(client, ids, since)
      show(flags, result, printSummary)
    })
}

async function recover(client: ApiClient, ids: string[], since: string): Promise<RecoverResult> {
  const targets =
    ids.length > 0 ? ids.map((id) => ({ id, state: 'active' })) : await everyOne(client)
  const result: RecoverResult = { since, queued: 0, subscriptions: [] }
  const progress = createProgress(targets.length, 'subscriptions')
  try {
    for (const { id, state } of targets) {
      // The server refuses to recover a paused or disabled subscription (409): say so, go on.
      if (state !== 'active') {
        result.subscriptions.push({ id, skipped: state })
      } else {
        const answer = await recoverOne(client, id, since, result)
        result.queued += answer.queued
        result.subscriptions.push({ id, queued: answer.queued })
      }
      progress.step(`${result.queued} re-queued`)
    }
  } finally {
    progress.done()
  }
  return result
}

async function everyOne(client: ApiClient): Promise<{ id: string; state: string }[]> {
  const all = await listAll((cursor) =>
    client.get<Page<Subscription>>('/webhooks/subscriptions', { limit: 100, cursor }),
  )
  return all.map(({ id, state }) => ({ id, state }))
}

async function recoverOne(
  client: ApiClient,
  id: string,
  since: string,
  sofar: RecoverResult,
): Promise<{ queued: number }> {
  try {
    return await client.post<{ queued: number }>(path`/webhooks/subscriptions/${id}/recover`, {
      since,
    })
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    // Those before this one are re-queued already: say how many, so a second run surprises no one.
    const done = sofar.subscriptions.length
    const before =
      done === 0
        ? ''
        : `; before it, ${plural(sofar.queued, 'delivery', 'deliveries')} of ` +
          `${plural(done, 'subscription', 'subscriptions')} were re-queued`
    throw new CliError(`${id}: ${err.message}${before}`, { cause: err })
  }
}

function printSummary(result: RecoverResult): void {
  const recovered = result.subscriptions.filter((s) => 'queued' in s).length
  const skipped = result.subscriptions.flatMap((s) =>
    'skipped' in s ? [`${s.id} (${s.skipped})`] : [],
  )
  process.stdout.write(
    `Re-queued ${plural(result.queued, 'delivery', 'deliveries')} of ` +
      `${plural(recovered, 'subscription', 'subscriptions')} since ${result.since}` +
      (skipped.length === 0 ? '' : `; skipped, not active: ${skipped.join(', ')}`) +
      '\n',
  )
}
