import assert from 'node:assert/strict'
import type { LookupAddress } from 'node:dns'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type Dispatcher, request } from 'undici'
import { UnsafeUrlError, ValidationError } from '../../src/core/errors.ts'
import { createAddressPolicy } from '../../src/delivery/address-policy.ts'
import {
  isUnsafeUrlError,
  parseTargetUrl,
  type Resolver,
  SsrfGuard,
} from '../../src/delivery/ssrf-guard.ts'

const dnsError = (code: string): Error => Object.assign(new Error(`lookup ${code}`), { code })

// The injected DNS: no test ever asks a real resolver or connects outside loopback.
const zone: Record<string, string[] | Error> = {
  'internal.test': ['127.0.0.1'],
  'mixed.test': ['93.184.216.34', '10.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'v6-loopback.test': ['::1'],
  'public.test': ['93.184.216.34', '2606:4700::1111'],
  'nxdomain.test': dnsError('ENOTFOUND'),
  'tempfail.test': dnsError('EAI_AGAIN'),
  'einval.test': dnsError('EINVAL'),
  'badname.test': dnsError('EBADNAME'),
}
const fakeResolver: Resolver = async (host) => {
  const answer = zone[host]
  if (answer === undefined) throw dnsError('ENOTFOUND')
  if (answer instanceof Error) throw answer
  return answer
}

type Row = { url: string; allowed: boolean | 'invalid'; why: string }

// Teredo client addresses are stored XOR 0xffffffff; server 65.54.227.120 is public.
const teredo = (clientHigh: number, clientLow: number): string =>
  `2001:0:4136:e378:8000:63bf:${(clientHigh ^ 0xffff).toString(16)}:${(clientLow ^ 0xffff).toString(16)}`

const rows: Row[] = [
  { url: 'http://2130706433/', allowed: false, why: 'decimal 127.0.0.1' },
  { url: 'http://0177.0.0.1/', allowed: false, why: 'octal 127.0.0.1' },
  { url: 'http://0x7f000001/', allowed: false, why: 'hex 127.0.0.1' },
  { url: 'http://0x7f.1/', allowed: false, why: 'hex short 127.0.0.1' },
  { url: 'http://127.1/', allowed: false, why: 'short 127.0.0.1' },
  { url: 'http://127.0.0.1:8080/hook', allowed: false, why: 'loopback' },
  { url: 'http://[::1]/', allowed: false, why: 'IPv6 loopback' },
  { url: 'http://[::]/', allowed: false, why: 'IPv6 unspecified' },
  { url: 'http://[::ffff:127.0.0.1]/', allowed: false, why: 'IPv4-mapped loopback' },
  { url: 'http://[::ffff:7f00:1]/', allowed: false, why: 'IPv4-mapped loopback, hex' },
  { url: 'http://[::ffff:a9fe:a9fe]/', allowed: false, why: 'IPv4-mapped metadata' },
  { url: 'http://[::127.0.0.1]/', allowed: false, why: 'IPv4-compatible loopback' },
  { url: 'http://[::ffff:0:a00:1]/', allowed: false, why: 'IPv4-translated 10.0.0.1' },
  { url: 'http://[64:ff9b::7f00:1]/', allowed: false, why: 'NAT64 loopback' },
  { url: 'http://[64:ff9b::a00:1]/', allowed: false, why: 'NAT64 10.0.0.1' },
  { url: 'http://[64:ff9b:1::5db8:d822]/', allowed: false, why: 'local-use NAT64 prefix' },
  { url: 'http://[2002:7f00:1::]/', allowed: false, why: '6to4 loopback' },
  { url: 'http://[2002:a9fe:a9fe::]/', allowed: false, why: '6to4 metadata' },
  { url: `http://[${teredo(0x0a00, 0x0001)}]/`, allowed: false, why: 'Teredo client 10.0.0.1' },
  { url: 'http://169.254.169.254/latest/meta-data/', allowed: false, why: 'AWS/GCP metadata' },
  { url: 'http://[fd00:ec2::254]/', allowed: false, why: 'AWS IPv6 metadata' },
  { url: 'http://168.63.129.16/', allowed: false, why: 'Azure wire server' },
  { url: 'http://100.100.100.200/', allowed: false, why: 'Alibaba metadata' },
  { url: 'http://100.64.0.1/', allowed: false, why: 'CGNAT' },
  { url: 'http://10.1.2.3/', allowed: false, why: 'private 10/8' },
  { url: 'http://172.16.0.1/', allowed: false, why: 'private 172.16/12' },
  { url: 'http://172.31.255.254/', allowed: false, why: 'private 172.16/12, top' },
  { url: 'http://192.168.1.1/', allowed: false, why: 'private 192.168/16' },
  { url: 'http://0.0.0.0/', allowed: false, why: 'unspecified' },
  { url: 'http://224.0.0.1/', allowed: false, why: 'multicast' },
  { url: 'http://255.255.255.255/', allowed: false, why: 'broadcast' },
  { url: 'http://240.0.0.1/', allowed: false, why: 'reserved 240/4' },
  { url: 'http://192.0.2.10/', allowed: false, why: 'TEST-NET-1' },
  { url: 'http://198.18.0.1/', allowed: false, why: 'benchmarking' },
  { url: 'http://[fe80::1]/', allowed: false, why: 'IPv6 link-local' },
  { url: 'http://[fc00::1]/', allowed: false, why: 'unique local' },
  { url: 'http://[fec0::1]/', allowed: false, why: 'site-local' },
  { url: 'http://[ff02::1]/', allowed: false, why: 'IPv6 multicast' },
  { url: 'http://[2001:db8::1]/', allowed: false, why: 'IPv6 documentation' },
  { url: 'http://internal.test/', allowed: false, why: 'hostname → 127.0.0.1' },
  { url: 'http://mixed.test/', allowed: false, why: 'hostname → [public, 10.0.0.1]' },
  { url: 'http://metadata.test/', allowed: false, why: 'hostname → metadata' },
  { url: 'http://v6-loopback.test/', allowed: false, why: 'hostname → ::1' },
  { url: 'http://93.184.216.34/', allowed: true, why: 'public IPv4' },
  { url: 'https://8.8.8.8:8443/path?q=1', allowed: true, why: 'public IPv4, https' },
  { url: 'http://172.32.0.1/', allowed: true, why: 'just above 172.16/12' },
  { url: 'http://[2606:4700::1111]/', allowed: true, why: 'public IPv6' },
  { url: 'http://[::ffff:93.184.216.34]/', allowed: true, why: 'IPv4-mapped public' },
  { url: 'http://[2002:5db8:d822::]/', allowed: true, why: '6to4 of public' },
  { url: 'http://[64:ff9b::5db8:d822]/', allowed: true, why: 'NAT64 of public' },
  { url: `http://[${teredo(0x5db8, 0xd822)}]/`, allowed: true, why: 'Teredo of public' },
  { url: 'http://public.test/', allowed: true, why: 'hostname → public v4 + v6' },
  { url: 'http://nxdomain.test/', allowed: true, why: 'does not resolve yet' },
  { url: 'http://tempfail.test/', allowed: true, why: 'DNS temporarily failing' },
  { url: 'http://einval.test/', allowed: 'invalid', why: 'the resolver refuses the name' },
  { url: 'http://badname.test/', allowed: 'invalid', why: 'the resolver finds the name bad' },
  { url: 'ftp://93.184.216.34/', allowed: 'invalid', why: 'ftp scheme' },
  { url: 'file:///etc/passwd', allowed: 'invalid', why: 'file scheme' },
  { url: 'gopher://93.184.216.34/', allowed: 'invalid', why: 'gopher scheme' },
  { url: 'http://user:pass@93.184.216.34/', allowed: 'invalid', why: 'credentials' },
  { url: '/relative/path', allowed: 'invalid', why: 'not absolute' },
]

describe('SsrfGuard.checkUrl, default policy', () => {
  const guard = new SsrfGuard({ allowPrivateNetworks: false, resolve: fakeResolver })

  for (const row of rows) {
    test(`${row.url} (${row.why}) → ${String(row.allowed)}`, async () => {
      const check = guard.checkUrl(row.url)
      if (row.allowed === true) return await check
      if (row.allowed === 'invalid') {
        return await assert.rejects(check, (err) => {
          assert.ok(err instanceof ValidationError)
          assert.equal(err.field, 'config.url')
          return true
        })
      }
      await assert.rejects(check, (err) => {
        assert.ok(err instanceof UnsafeUrlError)
        assert.equal(err.code, 'unsafe_url')
        assert.ok(isUnsafeUrlError(err))
        // The tenant must not learn which internal address answered: no address in any form.
        assert.doesNotMatch(err.message, /\d|\[|::/)
        assert.match(err.message, /^config\.url resolves to an address that is not allowed/)
        return true
      })
    })
  }

  test('the table covers at least 30 targets', () => {
    assert.ok(rows.length >= 30)
  })
})

describe('URL normalisation', () => {
  test('WHATWG URL turns every IPv4 encoding into dotted decimal', () => {
    for (const url of [
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0x7f.1/',
      'http://0177.0.0.1/',
      'http://127.1/',
    ]) {
      assert.equal(parseTargetUrl(url).hostname, '127.0.0.1', url)
    }
  })

  test('parseTargetUrl names the field it was given', () => {
    assert.throws(
      () => parseTargetUrl('ftp://x/', 'url'),
      (err) => err instanceof ValidationError && err.field === 'url',
    )
  })

  test('the policy refuses non-canonical literals instead of guessing', () => {
    const open = createAddressPolicy(true)
    assert.equal(open.isAllowed('0x7f.1'), false)
    assert.equal(open.isAllowed('not an ip'), false)
  })
})

describe('createAddressPolicy', () => {
  test('true allows private addresses', () => {
    const policy = createAddressPolicy(true)
    assert.equal(policy.isAllowed('10.0.0.1'), true)
    assert.equal(policy.isAllowed('::1'), true)
  })

  test('an allow-list adds its networks and keeps refusing the rest', async () => {
    const policy = createAddressPolicy(['127.0.0.0/8', '::1/128'])
    assert.equal(policy.isAllowed('127.0.0.1'), true)
    assert.equal(policy.isAllowed('127.9.9.9'), true)
    assert.equal(policy.isAllowed('::ffff:127.0.0.1'), true)
    assert.equal(policy.isAllowed('::1'), true)
    assert.equal(policy.isAllowed('10.0.0.1'), false)
    assert.equal(policy.isAllowed('169.254.169.254'), false)
    assert.equal(policy.isAllowed('93.184.216.34'), true)

    const guard = new SsrfGuard({ allowPrivateNetworks: ['127.0.0.0/8'], resolve: fakeResolver })
    await guard.checkUrl('http://127.0.0.1:3000/')
    await guard.checkUrl('http://internal.test/')
    await assert.rejects(guard.checkUrl('http://10.0.0.1/'), UnsafeUrlError)
    await assert.rejects(guard.checkUrl('http://v6-loopback.test/'), UnsafeUrlError)
  })

  test('an invalid CIDR is a ValidationError on allowPrivateNetworks', () => {
    for (const cidr of ['nope', '10.0.0.0', '10.0.0.0/33', '::1/129', '0x7f.1/8', '10.0.0.0/']) {
      assert.throws(
        () => createAddressPolicy([cidr]),
        (err) => err instanceof ValidationError && err.field === 'allowPrivateNetworks',
        cidr,
      )
    }
  })
})

describe('SsrfGuard.lookup', () => {
  const call = (
    guard: SsrfGuard,
    host: string,
    options: { all?: boolean; family?: number },
  ): Promise<{ address: string | LookupAddress[]; family: number | undefined }> =>
    new Promise((resolve, reject) => {
      guard.lookup(host, options, (err, address, family) => {
        if (err) reject(err)
        else resolve({ address, family })
      })
    })

  test('answers one address, or every checked address with all: true', async () => {
    const guard = new SsrfGuard({ allowPrivateNetworks: false, resolve: fakeResolver })
    assert.deepEqual(await call(guard, 'public.test', {}), {
      address: '93.184.216.34',
      family: 4,
    })
    assert.deepEqual(await call(guard, 'public.test', { family: 6 }), {
      address: '2606:4700::1111',
      family: 6,
    })
    const all = await call(guard, 'public.test', { all: true })
    assert.deepEqual(all.address, [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ])
  })

  test('refuses when any address is refused, with an UnsafeUrlError', async () => {
    const guard = new SsrfGuard({ allowPrivateNetworks: false, resolve: fakeResolver })
    for (const all of [false, true]) {
      await assert.rejects(call(guard, 'mixed.test', { all }), (err) => {
        assert.ok(err instanceof UnsafeUrlError)
        assert.doesNotMatch(err.message, /10\.0\.0\.1|93\.184/)
        return true
      })
    }
  })

  test('passes DNS errors through', async () => {
    const guard = new SsrfGuard({ allowPrivateNetworks: false, resolve: fakeResolver })
    await assert.rejects(call(guard, 'nxdomain.test', {}), { code: 'ENOTFOUND' })
  })
})

describe('isUnsafeUrlError', () => {
  test('walks cause chains and aggregate errors', () => {
    const unsafe = new UnsafeUrlError('no')
    assert.equal(
      isUnsafeUrlError(new Error('outer', { cause: new Error('mid', { cause: unsafe }) })),
      true,
    )
    assert.equal(isUnsafeUrlError(new AggregateError([new Error('x'), unsafe])), true)
    assert.equal(isUnsafeUrlError(new Error('plain', { cause: new Error('other') })), false)
    assert.equal(isUnsafeUrlError('string'), false)
  })
})

describe('dispatcher, end to end on loopback', () => {
  let server: Server
  let port = 0
  const paths: string[] = []
  let connections = 0

  before(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '')
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/other` }).end()
      } else if (req.url === '/close') {
        res.writeHead(200, { connection: 'close' }).end('bye')
      } else {
        res.writeHead(200).end('ok')
      }
    })
    server.on('connection', () => {
      connections++
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })

  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const reset = (): void => {
    paths.length = 0
    connections = 0
  }

  const counting = (): { resolve: Resolver; calls: () => number } => {
    let calls = 0
    return {
      resolve: async (host) => {
        calls++
        if (host !== 'receiver.test') throw dnsError('ENOTFOUND')
        return ['127.0.0.1']
      },
      calls: () => calls,
    }
  }

  const withDispatcher = async (
    allowPrivateNetworks: boolean | readonly string[],
    run: (dispatcher: Dispatcher, calls: () => number) => Promise<void>,
  ): Promise<void> => {
    const dns = counting()
    const dispatcher = new SsrfGuard({ allowPrivateNetworks, resolve: dns.resolve }).dispatcher()
    try {
      await run(dispatcher, dns.calls)
    } finally {
      await dispatcher.close()
    }
  }

  test('(a) a hostname resolving to loopback is refused before any byte is sent', async () => {
    reset()
    await withDispatcher(false, async (dispatcher, calls) => {
      await assert.rejects(request(`http://receiver.test:${port}/`, { dispatcher }), (err) => {
        assert.equal(isUnsafeUrlError(err), true)
        assert.doesNotMatch((err as Error).message, /127\.0\.0\.1/)
        return true
      })
      assert.equal(calls(), 1)
    })
    assert.deepEqual(paths, [])
    assert.equal(connections, 0)
  })

  test('(a) IP literals are refused by the dispatcher itself', async () => {
    reset()
    await withDispatcher(false, async (dispatcher, calls) => {
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]']) {
        await assert.rejects(request(`http://${host}:${port}/`, { dispatcher }), (err) =>
          isUnsafeUrlError(err),
        )
      }
      assert.equal(calls(), 0)
    })
    assert.deepEqual(paths, [])
    assert.equal(connections, 0)
  })

  test('(b) with 127.0.0.0/8 allowed, a made-up hostname connects to the checked address', async () => {
    reset()
    await withDispatcher(['127.0.0.0/8'], async (dispatcher) => {
      const res = await request(`http://receiver.test:${port}/hello`, { dispatcher })
      assert.equal(res.statusCode, 200)
      assert.equal(await res.body.text(), 'ok')
    })
    assert.deepEqual(paths, ['/hello'])
  })

  test('(c) the resolver runs once per new connection, not per request', async () => {
    reset()
    await withDispatcher(['127.0.0.0/8'], async (dispatcher, calls) => {
      for (const path of ['/one', '/two', '/close', '/three']) {
        const res = await request(`http://receiver.test:${port}${path}`, { dispatcher })
        await res.body.text()
      }
      // /one, /two and /close share a keep-alive connection; /close ends it, /three opens another.
      assert.equal(connections, 2)
      assert.equal(calls(), 2)
    })
    assert.deepEqual(paths, ['/one', '/two', '/close', '/three'])
  })

  test('(d) redirects are not followed', async () => {
    reset()
    await withDispatcher(['127.0.0.0/8'], async (dispatcher) => {
      const res = await request(`http://receiver.test:${port}/redirect`, { dispatcher })
      await res.body.text()
      assert.equal(res.statusCode, 302)
    })
    assert.deepEqual(paths, ['/redirect'])
  })
})
