import type { Hookrelay } from '../hookrelay.ts'
import type { AdminKeySource } from './banner.ts'

/**
 * Makes sure an admin can get in: stores the operator's `--admin-key` (idempotent), or, when the
 * database has no key at all (the first start), creates an admin key for the caller to print once.
 * Otherwise does nothing, so a restart never shows a key again.
 */
export async function bootstrapAdminKey(
  hooks: Hookrelay,
  given: string | null,
): Promise<AdminKeySource> {
  if (given !== null) {
    await hooks.keys.ensure(given, {
      tenant: null,
      roles: ['admin'],
      name: 'admin key from --admin-key',
    })
    return { kind: 'given' }
  }
  if ((await hooks.keys.count()) > 0) return { kind: 'none' }
  const created = await hooks.keys.create({
    tenant: null,
    roles: ['admin'],
    name: 'admin key created on the first start',
  })
  return { kind: 'generated', key: created.key }
}
