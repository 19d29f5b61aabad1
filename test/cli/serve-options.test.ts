import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CliError } from '../../src/cli/cli-error.ts'
import { resolveServeOptions, type ServeFlags } from '../../src/cli/serve-options.ts'

const resolve = (flags: ServeFlags, env: Record<string, string> = {}) =>
  resolveServeOptions(flags, env)

function assertRefused(flags: ServeFlags, env: Record<string, string>, names: RegExp): void {
  assert.throws(
    () => resolve(flags, env),
    (err: unknown) => {
      assert.ok(err instanceof CliError, String(err))
      assert.match(err.message, names)
      assert.doesNotMatch(err.message, /\n/)
      return true
    },
  )
}

describe('serve options', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(resolve({}), {
      port: 8080,
      host: '127.0.0.1',
      database: 'hookrelay.db',
      allowPrivateNetworks: false,
      adminKey: null,
      role: 'all',
      rateLimit: 1000,
      authFailureLimit: 20,
      trustProxy: [],
      shutdownGraceSeconds: 10,
      logLevel: 'info',
    })
  })

  it('reads every HOOKRELAY_* variable', () => {
    const options = resolve(
      {},
      {
        HOOKRELAY_PORT: '9090',
        HOOKRELAY_HOST: '0.0.0.0',
        HOOKRELAY_DATABASE: '/var/lib/hooks.db',
        HOOKRELAY_ALLOW_PRIVATE: '10.0.0.0/8, 127.0.0.0/8',
        HOOKRELAY_ADMIN_KEY: 'a-very-secret-admin-key',
        HOOKRELAY_ROLE: 'worker',
        HOOKRELAY_RATE_LIMIT: '0',
        HOOKRELAY_AUTH_FAILURE_LIMIT: '5',
        HOOKRELAY_TRUST_PROXY: '10.0.0.7, fd00::/8',
        HOOKRELAY_SHUTDOWN_GRACE: '30',
        HOOKRELAY_LOG_LEVEL: 'debug',
      },
    )
    assert.deepEqual(options, {
      port: 9090,
      host: '0.0.0.0',
      database: '/var/lib/hooks.db',
      allowPrivateNetworks: ['10.0.0.0/8', '127.0.0.0/8'],
      adminKey: 'a-very-secret-admin-key',
      role: 'worker',
      rateLimit: 0,
      authFailureLimit: 5,
      trustProxy: ['10.0.0.7', 'fd00::/8'],
      shutdownGraceSeconds: 30,
      logLevel: 'debug',
    })
  })

  it('lets a flag beat its variable, and treats an empty variable as unset', () => {
    const env = {
      HOOKRELAY_PORT: '9090',
      HOOKRELAY_ROLE: 'worker',
      HOOKRELAY_ALLOW_PRIVATE: '10.0.0.0/8',
      HOOKRELAY_HOST: '',
    }
    const options = resolve({ port: '0', role: 'api', allowPrivate: ['192.168.0.0/16'] }, env)
    assert.equal(options.port, 0)
    assert.equal(options.role, 'api')
    assert.deepEqual(options.allowPrivateNetworks, ['192.168.0.0/16'])
    assert.equal(options.host, '127.0.0.1')
  })

  it('takes --allow-private many times, and alone as every private range', () => {
    assert.deepEqual(resolve({ allowPrivate: ['127.0.0.0/8', '::1/128'] }).allowPrivateNetworks, [
      '127.0.0.0/8',
      '::1/128',
    ])
    assert.equal(resolve({ allowPrivate: true }).allowPrivateNetworks, true)
    assert.equal(resolve({}, { HOOKRELAY_ALLOW_PRIVATE: 'true' }).allowPrivateNetworks, true)
  })

  it('accepts the edges of each range', () => {
    assert.equal(resolve({ port: '65535' }).port, 65535)
    assert.equal(resolve({ rateLimit: '0' }).rateLimit, 0)
    assert.equal(resolve({ adminKey: 'x'.repeat(16) }).adminKey, 'x'.repeat(16))
  })

  for (const [flags, names] of [
    [{ port: 'nope' }, /^--port .*"nope"/],
    [{ port: '65536' }, /^--port /],
    [{ port: '-1' }, /^--port /],
    [{ port: '80.5' }, /^--port /],
    [{ role: 'boss' }, /^--role must be one of all, api, worker/],
    [{ rateLimit: '-5' }, /^--rate-limit /],
    [{ rateLimit: 'lots' }, /^--rate-limit /],
    [{ authFailureLimit: 'many' }, /^--auth-failure-limit /],
    [{ logLevel: 'loud' }, /^--log-level /],
    [{ trustProxy: ['proxy.local'] }, /^--trust-proxy .*"proxy\.local"/],
    [{ trustProxy: ['10.0.0.0/40'] }, /^--trust-proxy /],
    [{ allowPrivate: ['10.0.0.0/33'] }, /^--allow-private .*"10\.0\.0\.0\/33"/],
    [{ allowPrivate: ['localhost'] }, /^--allow-private /],
    [{ adminKey: 'short' }, /^--admin-key must be 16 to 256 /],
    [{ adminKey: 'x'.repeat(257) }, /^--admin-key /],
    [{ adminKey: 'has a space in it, sadly' }, /^--admin-key /],
    [{ host: '' }, /^--host /],
    [{ database: ' ' }, /^--database /],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)} naming the flag`, () => {
      assertRefused(flags as ServeFlags, {}, names)
    })
  }

  it('names the variable when a bad value came from the environment', () => {
    assertRefused({}, { HOOKRELAY_PORT: 'eighty' }, /^HOOKRELAY_PORT /)
    assertRefused({}, { HOOKRELAY_ROLE: 'boss' }, /^HOOKRELAY_ROLE /)
    assertRefused({}, { HOOKRELAY_ALLOW_PRIVATE: '10.0.0.0/8,nope' }, /^HOOKRELAY_ALLOW_PRIVATE /)
  })
})
