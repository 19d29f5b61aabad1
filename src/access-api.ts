import { createHash, randomBytes } from 'node:crypto'
import { ConflictError, NotFoundError, ValidationError } from './core/errors.ts'
import { newId } from './core/ids.ts'
import type { ApiKey, StoredApiKey, Tenant } from './core/types.ts'
import { optionalText, plainObject, tenantOf } from './core/validate.ts'
import type { EngineContext } from './engine-context.ts'

/** What `tenants.create` takes. */
export interface TenantInput {
  /** `[A-Za-z0-9_.-]{1,64}`, the tenant every key and object of it names. */
  id: string
  /** At most 200 characters. */
  name?: string
}

/** What `keys.create` takes: `tenant` null makes an admin key. */
export interface ApiKeyInput {
  tenant: string | null
  /** Role names (`[A-Za-z0-9_.:-]{1,64}`), at least one; repeats are dropped. */
  roles: string[]
  /** At most 200 characters. */
  name?: string
}

/** What `keys.ensure` takes: an operator-chosen key is always an admin key. */
export interface AdminKeyInput extends ApiKeyInput {
  tenant: null
}

/** A key as `keys.create` returns it: the only time the key itself is shown. */
export type CreatedApiKey = ApiKey & { key: string }

const roleRe = /^[A-Za-z0-9_.:-]{1,64}$/
const operatorKeyRe = /^[A-Za-z0-9_.~-]{16,256}$/
/** Longer than any key this API makes or accepts: such a bearer is refused without hashing it. */
const maxKeyLength = 512
/** How long a verified key is trusted before the store is asked again. */
const cacheMs = 10_000
/** Verified keys kept at most; the oldest entry makes room. */
const cacheLimit = 10_000
/** Tenant ids `tenants.exists` remembers at most before it starts over. */
const knownTenantsLimit = 100_000

/** The SHA-256 of an API key, hex: the only form of a key the store keeps. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** A new random API key: `hr_` and 32 random bytes in base64url. */
function generateApiKey(): string {
  return `hr_${randomBytes(32).toString('base64url')}`
}

function withoutHash(stored: StoredApiKey): ApiKey {
  const { hash: _hash, ...key } = stored
  return key
}

/** A key's tenant: null for admin keys, else a tenant id. */
function keyTenant(value: unknown): string | null {
  if (value === null) return null
  if (value === undefined) throw new ValidationError('tenant', 'must be a tenant id or null')
  return tenantOf(value)
}

/** A non-empty list of role names, without repeats. */
function roleNames(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError('roles', 'must be a non-empty array of role names')
  }
  if (value.length > 20) throw new ValidationError('roles', 'must list at most 20 roles')
  const seen = new Set<string>()
  value.forEach((role, i) => {
    if (typeof role !== 'string' || !roleRe.test(role)) {
      throw new ValidationError(
        `roles[${i}]`,
        'must be 1–64 characters of letters, digits, _ . : or -',
      )
    }
    seen.add(role)
  })
  return [...seen]
}

/**
 * `hooks.tenants`: the tenants API keys belong to (the standalone server's admin routes). The
 * engine itself does not check tenants: `publish` and `subscriptions` take any tenant id.
 *
 * @example await hooks.tenants.create({ id: 'acme', name: 'Acme Inc.' })
 */
export class TenantsApi {
  readonly #ctx: EngineContext
  // Tenants are never deleted, so an id once found stays true; ids not found are not kept, so
  // a tenant another process creates is found on the next look-up.
  readonly #known = new Set<string>()

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /** Creates a tenant. Throws `ValidationError` for a bad field, `ConflictError` when it exists. */
  async create(input: TenantInput): Promise<Tenant> {
    const body = plainObject(input, 'tenant')
    if (body.id === undefined || body.id === null) {
      throw new ValidationError('id', 'is required')
    }
    const tenant: Tenant = {
      id: tenantOf(body.id, 'id'),
      name: optionalText(body.name, 'name', 200),
      createdAt: new Date(this.#ctx.options.now()).toISOString(),
    }
    await this.#ctx.store.insertTenant(tenant)
    this.#remember(tenant.id)
    return tenant
  }

  /**
   * Whether the tenant exists: asks the store only about an id it has not found before, so the
   * server can check the tenant an admin key acts for on every request.
   */
  async exists(id: string): Promise<boolean> {
    if (this.#known.has(id)) return true
    const found = (await this.#ctx.store.getTenant(id)) !== null
    if (found) this.#remember(id)
    return found
  }

  /** Every tenant, by id. */
  list(): Promise<Tenant[]> {
    return this.#ctx.store.listTenants()
  }

  /** One tenant. Throws `NotFoundError` when it does not exist. */
  async get(id: string): Promise<Tenant> {
    const tenant = await this.#ctx.store.getTenant(id)
    if (tenant === null) throw new NotFoundError('tenant', id)
    return tenant
  }

  #remember(id: string): void {
    if (this.#known.size >= knownTenantsLimit) this.#known.clear()
    this.#known.add(id)
  }
}

interface CachedKey {
  key: ApiKey
  expiresAt: number
}

/**
 * `hooks.keys`: API keys, stored only as SHA-256 hashes. A verified key is trusted for 10 s
 * without asking the store again, so a key deleted by another process keeps working that long;
 * one deleted here stops at once.
 *
 * @example
 * const { key } = await hooks.keys.create({ tenant: 'acme', roles: ['user'] })
 * const caller = await hooks.keys.verify(key) // { tenant: 'acme', roles: ['user'], … }
 */
export class ApiKeysApi {
  readonly #ctx: EngineContext
  readonly #cache = new Map<string, CachedKey>()
  // Bumped by every delete: a lookup that started before it must not cache what it read.
  #generation = 0

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /**
   * Creates a key of a tenant (or, with `tenant: null`, an admin key) and returns it with the key
   * itself, which is never shown again. Throws `ValidationError` for a bad field and
   * `NotFoundError` when the tenant does not exist.
   */
  async create(input: ApiKeyInput): Promise<CreatedApiKey> {
    const key = generateApiKey()
    const stored = this.#build(key, input)
    await this.#ctx.store.insertApiKey(stored)
    return { ...withoutHash(stored), key }
  }

  /**
   * Stores an operator-chosen admin key (at least 16 characters of letters, digits, `_ . ~ -`)
   * unless it is stored already, in which case the stored one is returned unchanged.
   */
  async ensure(key: string, input: AdminKeyInput): Promise<ApiKey> {
    if (typeof key !== 'string' || !operatorKeyRe.test(key)) {
      throw new ValidationError('key', 'must be 16–256 characters of letters, digits, _ . ~ or -')
    }
    const stored = this.#build(key, input)
    const existing = await this.#ctx.store.findApiKeyByHash(stored.hash)
    if (existing !== null) return withoutHash(existing)
    try {
      await this.#ctx.store.insertApiKey(stored)
    } catch (error) {
      // Another process ensured the same key between the look-up and the insert.
      if (!(error instanceof ConflictError)) throw error
      const raced = await this.#ctx.store.findApiKeyByHash(stored.hash)
      if (raced === null) throw error
      return withoutHash(raced)
    }
    return withoutHash(stored)
  }

  /** The key a bearer presents, or null when no such key exists. */
  async verify(key: string): Promise<ApiKey | null> {
    if (typeof key !== 'string' || key.length === 0 || key.length > maxKeyLength) return null
    const hash = hashApiKey(key)
    const now = this.#ctx.options.now()
    const cached = this.#cache.get(hash)
    if (cached !== undefined) {
      if (cached.expiresAt > now) return cached.key
      this.#cache.delete(hash)
    }
    const generation = this.#generation
    const stored = await this.#ctx.store.findApiKeyByHash(hash)
    // Unknown keys are not cached: a flood of made-up keys must not push out the real ones.
    if (stored === null) return null
    const found = withoutHash(stored)
    if (generation === this.#generation) {
      if (this.#cache.size >= cacheLimit) {
        const oldest = this.#cache.keys().next()
        if (oldest.done !== true) this.#cache.delete(oldest.value)
      }
      this.#cache.set(hash, { key: found, expiresAt: now + cacheMs })
    }
    return found
  }

  /** The keys of a tenant (or, for null, the admin keys), oldest first, without the keys. */
  list(tenant: string | null): Promise<ApiKey[]> {
    return this.#ctx.store.listApiKeys(keyTenant(tenant))
  }

  /** Deletes a key; it stops working in this process at once. Throws `NotFoundError`. */
  async delete(id: string): Promise<void> {
    const deleted = await this.#ctx.store.deleteApiKey(id)
    this.#generation++
    this.#cache.clear()
    if (!deleted) throw new NotFoundError('key', id)
  }

  /** How many keys exist, of every tenant and admin. */
  count(): Promise<number> {
    return this.#ctx.store.countApiKeys()
  }

  #build(key: string, input: ApiKeyInput): StoredApiKey {
    const body = plainObject(input, 'apiKey')
    const now = this.#ctx.options.now()
    return {
      id: newId('key', now),
      tenant: keyTenant(body.tenant),
      name: optionalText(body.name, 'name', 200),
      roles: roleNames(body.roles),
      hash: hashApiKey(key),
      createdAt: new Date(now).toISOString(),
    }
  }
}
