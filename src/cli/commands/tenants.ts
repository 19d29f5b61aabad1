import type { Command } from 'commander'
import type { Tenant } from '../../core/types.ts'
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

/** Adds `hookrelay tenants`: create and list tenants (admin key needed). */
export function addTenantsCommand(program: Command): void {
  const group = program
    .command('tenants')
    .description('Tenants, the isolation boundaries API keys belong to; needs an admin key.')
    .addHelpText('after', examplesHelp(['hookrelay tenants create acme --name "Acme Inc."']))

  apiCommand(group, 'create <id>', 'Create a tenant: 1 to 64 letters, digits, _ . -', [
    'hookrelay tenants create acme --name "Acme Inc."',
  ])
    .option('--name <name>', 'a name people recognise')
    .action(async (id: string, flags: ApiFlags & { name?: string }) => {
      const body = { id, ...(flags.name === undefined ? {} : { name: flags.name }) }
      const tenant = await clientFor(flags).post<Tenant>('/admin/tenants', body)
      show(flags, tenant, (t) => process.stdout.write(`Created tenant ${t.id}\n`))
    })

  apiCommand(group, 'list', 'List every tenant.', [
    'hookrelay tenants list',
    'hookrelay tenants list --json',
  ]).action(async (flags: ApiFlags) => {
    const page = await clientFor(flags).get<Page<Tenant>>('/admin/tenants')
    show(flags, page, () =>
      printPage(page, 'No tenants.', ['ID', 'NAME', 'CREATED'], (t) => [
        t.id,
        t.name,
        formatTime(t.createdAt),
      ]),
    )
  })
}
