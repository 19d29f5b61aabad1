import type { Command } from 'commander'
import type { Subscription } from '../../core/types.ts'
import { type ApiClient, path } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor, listAll, type Page, show } from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { createProgress, parseTime, plural } from '../output.ts'

interface RecoverFlags extends ApiFlags {
  since: string
  until?: string
}

/** What one subscription came to: re-queued deliveries, or skipped for its state. */
type Outcome = { id: string; queued: number } | { id: string; skipped: string }

/** What `recover --json` prints. */
interface RecoverResult {
  since: string
  until: string | null
  queued: number
  subscriptions: Outcome[]
}

/**
 * Adds `hookrelay recover [ids...] --since <time> [--until <time>]`: sends again, now, the
 * deliveries that failed or wait for a retry (and events missed while paused or disabled) of the
 * given subscriptions, or of every subscription of the tenant.
 */
export function addRecoverCommand(program: Command): void {
  apiCommand(
    program,
    'recover [subscriptions...]',
    'Send again, now, the deliveries that failed or wait for a retry (and cancelled ones) of ' +
      'events since a time, of these subscriptions or of all. With no ids, subscriptions that ' +
      'are not active are skipped.',
    [
      'hookrelay recover --since 2h',
      'hookrelay recover sub_01HV... sub_01HW... --since 2024-05-01T08:00Z --until 2024-05-01T10:00Z',
    ],
  )
    .requiredOption(
      '--since <time>',
      'events at or after: an ISO time, or a time ago (30m, 2h, 7d)',
    )
    .option('--until <time>', 'events before: an ISO time, or a time ago (default: now)')
    .action(async (ids: string[], flags: RecoverFlags) => {
      const since = parseTime(flags.since, '--since')
      const until = flags.until === undefined ? null : parseTime(flags.until, '--until')
      if (until !== null && Date.parse(until) <= Date.parse(since)) {
        throw new CliError(`--until (${until}) must be after --since (${since})`)
      }
      const client = clientFor(flags)
      const result = await recover(client, ids, since, until)
      show(flags, result, printSummary)
    })
}

async function recover(
  client: ApiClient,
  ids: string[],
  since: string,
  until: string | null,
): Promise<RecoverResult> {
  const targets =
    ids.length > 0 ? ids.map((id) => ({ id, state: 'active' })) : await everyOne(client)
  const result: RecoverResult = { since, until, queued: 0, subscriptions: [] }
  const progress = createProgress(targets.length, 'subscriptions')
  try {
    for (const { id, state } of targets) {
      // The server refuses to recover a paused or disabled subscription (409): say so, go on.
      if (state !== 'active') {
        result.subscriptions.push({ id, skipped: state })
      } else {
        const answer = await recoverOne(client, id, result)
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
  sofar: RecoverResult,
): Promise<{ queued: number }> {
  const { since, until } = sofar
  try {
    return await client.post<{ queued: number }>(
      path`/webhooks/subscriptions/${id}/recover`,
      until === null ? { since } : { since, until },
    )
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
      (result.until === null ? '' : ` until ${result.until}`) +
      (skipped.length === 0 ? '' : `; skipped, not active: ${skipped.join(', ')}`) +
      '\n',
  )
}
