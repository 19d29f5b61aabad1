import type { Command } from 'commander'
import type { ApiKey } from '../../core/types.ts'
import { path } from '../api-client.ts'
import {
  type ApiFlags,
  apiCommand,
  clientFor,
  examplesHelp,
  type Page,
  printPage,
  show,
} from '../api-command.ts'
import { formatTime } from '../output.ts'

interface CreateFlags extends ApiFlags {
  tenant: string
  role: string[]
  name?: string
}

/** A key as created: the only answer that holds the key itself. */
type CreatedKey = ApiKey & { key: string }

/** Adds `hookrelay keys`: create, list and delete a tenant's API keys (admin key needed). */
export function addKeysCommand(program: Command): void {
  const group = program
    .command('keys')
    .description("A tenant's API keys; needs an admin key.")
    .addHelpText(
      'after',
      examplesHelp([
        'hookrelay keys create --tenant acme --role user service --name "Acme backend"',
        'hookrelay keys list --tenant acme',
      ]),
    )

  apiCommand(group, 'create', 'Create an API key for a tenant; prints the key, once.', [
    'hookrelay keys create --tenant acme --role user service',
    'hookrelay keys create --tenant acme --role service --name publisher --json | jq -r .key',
  ])
    .requiredOption('--tenant <id>', 'the tenant the key belongs to')
    .requiredOption('--role <role...>', 'its roles (user, service, ...); repeatable')
    .option('--name <name>', 'a name people recognise')
    .action(async (flags: CreateFlags) => {
      const created = await clientFor(flags).post<CreatedKey>(
        path`/admin/tenants/${flags.tenant}/keys`,
        { roles: flags.role, ...(flags.name === undefined ? {} : { name: flags.name }) },
      )
      show(flags, created, (key) =>
        process.stdout.write(
          `Created ${key.id} for tenant ${flags.tenant}, roles ${key.roles.join(', ')}\n` +
            `The key, shown only this once, keep it:\n\n  ${key.key}\n\n`,
        ),
      )
    })

  apiCommand(group, 'list', "List a tenant's API keys (never the keys themselves).", [
    'hookrelay keys list --tenant acme',
  ])
    .requiredOption('--tenant <id>', 'the tenant')
    .action(async (flags: ApiFlags & { tenant: string }) => {
      const page = await clientFor(flags).get<Page<ApiKey>>(
        path`/admin/tenants/${flags.tenant}/keys`,
      )
      show(flags, page, () =>
        printPage(page, 'No keys.', ['ID', 'NAME', 'ROLES', 'CREATED'], (key) => [
          key.id,
          key.name,
          key.roles.join(','),
          formatTime(key.createdAt),
        ]),
      )
    })

  apiCommand(group, 'delete <id>', 'Delete an API key; it stops working at once.', [
    'hookrelay keys delete key_01HV...',
  ]).action(async (id: string, flags: ApiFlags) => {
    await clientFor(flags).delete(path`/admin/keys/${id}`)
    show(flags, { deleted: id }, () => process.stdout.write(`Deleted ${id}\n`))
  })
}
