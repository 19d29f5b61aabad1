import { type Command, Option } from 'commander'
import type { Subscription, SubscriptionHealth, SubscriptionState } from '../../core/types.ts'
import type { CreatedSubscription } from '../../subscriptions-api.ts'
import { path } from '../api-client.ts'
import {
  addPaging,
  type ApiFlags,
  apiCommand,
  clientFor,
  examplesHelp,
  type Page,
  type PagingFlags,
  printPage,
  show,
} from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { failingFirst, formatHealth } from '../health.ts'
import { formatFields } from '../output.ts'
import {
  addSubscriptionFlags,
  type SubscriptionFlags,
  subscriptionBody,
} from './subscription-flags.ts'
import { addRotateSecretCommand } from './subscription-secret.ts'
import { addSubscriptionShowCommands } from './subscription-show.ts'

const base = '/webhooks/subscriptions'
const one = (id: string, rest = '') => `${base}${path`/${id}`}${rest}`

interface ListFlags extends ApiFlags, PagingFlags {
  name?: string
  event?: string
  state?: SubscriptionState
  health?: SubscriptionHealth
}

interface UpdateFlags extends ApiFlags, SubscriptionFlags {
  pause?: boolean
  resume?: boolean
}

/** What `POST /webhooks/subscriptions/{id}/test` answers. */
interface TestResult {
  success: boolean
  statusCode: number | null
  durationMs: number
  response?: string
  error?: string | null
}

/**
 * Adds `hookrelay subscriptions` (alias `subs`): list, create, update, delete, test, and from
 * their own files show, stats and rotate-secret.
 */
export function addSubscriptionsCommand(program: Command): void {
  const group = program
    .command('subscriptions')
    .alias('subs')
    .description('List, show, create, change, delete and test subscriptions; stats, secrets.')
    .addHelpText(
      'after',
      examplesHelp([
        'hookrelay subs list --state active',
        "hookrelay subs create --name Orders --event 'order.*' --endpoint https://acme.example/hooks",
      ]),
    )

  addPaging(
    apiCommand(
      group,
      'list',
      "List the tenant's subscriptions: failing ones first, then newest first.",
      [
        'hookrelay subs list',
        'hookrelay subs list --health failing',
        'hookrelay subs list --event order.created --state disabled --json',
      ],
    ),
  )
    .option('--name <name>', 'only subscriptions with this name')
    .option('--event <event>', 'only subscriptions that receive this event')
    .addOption(
      new Option('--state <state>', 'only subscriptions in this state').choices([
        'active',
        'paused',
        'disabled',
      ]),
    )
    .addOption(
      new Option(
        '--health <health>',
        'only failing ones (their last attempt failed), healthy or disabled ones',
      ).choices(['healthy', 'failing', 'disabled']),
    )
    .action(async (flags: ListFlags) => {
      const { name, event, state, health, limit, cursor } = flags
      const page = await clientFor(flags).get<Page<Subscription>>(base, {
        name,
        event,
        state,
        health,
        limit,
        cursor,
      })
      const now = Date.now()
      const headers = ['ID', 'NAME', 'STATE', 'HEALTH', 'EVENTS', 'URL']
      show(flags, page, () =>
        printPage(
          { ...page, data: failingFirst(page.data) },
          'No subscriptions.',
          headers,
          (sub) => [
            sub.id,
            sub.name,
            sub.state,
            formatHealth(sub, now),
            sub.events.join(','),
            sub.config.url,
          ],
        ),
      )
    })

  addSubscriptionFlags(
    apiCommand(group, 'create', 'Create a subscription; prints its signing secret, once.', [
      "hookrelay subs create --name Orders --event 'order.*' --endpoint https://acme.example/hooks",
      'hookrelay subs create --name CRM --event contact.created contact.updated \\\n' +
        '      --endpoint https://crm.example/in --scheme github --header x-team=sales',
    ]),
    true,
  ).action(async (flags: SubscriptionFlags & ApiFlags) => {
    // The only answer that holds the secret.
    const created = await clientFor(flags).post<CreatedSubscription>(base, subscriptionBody(flags))
    show(flags, created, (sub) => {
      process.stdout.write(`Created ${sub.id} (${sub.name})\n`)
      process.stdout.write(
        `Signing secret, shown only this once, keep it:\n\n  ${sub.config.secret}\n\n`,
      )
    })
  })

  addSubscriptionFlags(
    apiCommand(group, 'update <id>', 'Change some fields of a subscription, pause or resume it.', [
      'hookrelay subs update sub_01HV... --pause',
      "hookrelay subs update sub_01HV... --event 'order.*' 'invoice.*' --rate-limit 5",
    ]),
    false,
  )
    .addOption(new Option('--pause', 'stop delivering until resumed').conflicts('resume'))
    .option('--resume', 'deliver again (also re-enables a disabled subscription)')
    .action(async (id: string, flags: UpdateFlags) => {
      const body = subscriptionBody(flags)
      if (flags.pause === true) body.state = 'paused'
      if (flags.resume === true) body.state = 'active'
      if (Object.keys(body).length === 0) {
        throw new CliError('nothing to change: give a field flag (see --help), --pause or --resume')
      }
      const updated = await clientFor(flags).put<Subscription>(one(id), body)
      show(flags, updated, (sub) =>
        process.stdout.write(`Updated ${sub.id} (${sub.name}), now ${sub.state}\n`),
      )
    })

  apiCommand(group, 'delete <id>', 'Delete a subscription; its pending deliveries are cancelled.', [
    'hookrelay subs delete sub_01HV...',
  ]).action(async (id: string, flags: ApiFlags) => {
    await clientFor(flags).delete(one(id))
    show(flags, { deleted: id }, () => process.stdout.write(`Deleted ${id}\n`))
  })

  apiCommand(
    group,
    'test <id>',
    "Send a ping now and print the receiver's answer; exits 1 when it was not a 2xx.",
    ['hookrelay subs test sub_01HV...'],
  ).action(async (id: string, flags: ApiFlags) => {
    const result = await clientFor(flags).post<TestResult>(one(id, '/test'))
    show(flags, result, printTestResult)
    if (!result.success) process.exitCode = 1
  })

  addSubscriptionShowCommands(group)
  addRotateSecretCommand(group)
}

function printTestResult(result: TestResult): void {
  const status = result.statusCode === null ? 'no answer' : `HTTP ${result.statusCode}`
  process.stdout.write(
    formatFields([
      ['Success', result.success ? 'yes' : 'no'],
      ['Status', status],
      ['Duration', `${result.durationMs} ms`],
      ...(result.error ? [['Error', result.error] as const] : []),
    ]),
  )
  const body = result.response ?? ''
  process.stdout.write(body === '' ? 'Response body: (empty)\n' : `Response body:\n${body}\n`)
}
