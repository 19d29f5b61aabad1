/**
 * What the SSRF scenario points Hookrelay at: every disguise of a private address we know, the
 * addresses the network namespace puts on `lo` so that each disguise has something answering
 * behind it, the private /etc/hosts, and the DNS zone with its rebinding names. A target's URL
 * carries `{path}`, replaced by a token of its own, so a request that arrives anywhere says which
 * target (and which subscription) sent it.
 */
import type { DnsAnswer } from './ssrf-dns.ts'

/**
 * `private`: must never be reached; `redirect`: a public receiver that answers with a redirect to
 * a private URL, which must not be followed; `control`: a plain public URL, which must be reached.
 */
export type TargetKind = 'private' | 'redirect' | 'control'

/** One URL given to Hookrelay. */
export interface SsrfTarget {
  /** What it tries, in the report. */
  name: string
  kind: TargetKind
  /** The URL, with `{path}` where the target's token goes. */
  url: string
  /** For `redirect`: the status and the private `Location` the receiver answers with. */
  redirect?: { status: number; location: string }
  /** True when the trick needs the create-time check to pass (rebinding): it must be created. */
  passesCreate?: boolean
}

/** The addresses of the namespace that count as public: a request arriving there is allowed. */
export const publicAddresses = ['93.184.216.34', '2606:4700::1111']

// Teredo addresses hold the client's IPv4 XOR 0xffffffff in their last 32 bits.
const teredo = (server: string, client: string): string => {
  const [s1, s2, s3, s4] = server.split('.').map(Number) as [number, number, number, number]
  const [c1, c2, c3, c4] = client.split('.').map(Number) as [number, number, number, number]
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16)
  const xor = (high: number, low: number) => (((high << 8) | low) ^ 0xffff).toString(16)
  return `2001:0:${hex(s1, s2)}:${hex(s3, s4)}:8000:63bf:${xor(c1, c2)}:${xor(c3, c4)}`
}
const teredoLoopback = teredo('65.54.227.120', '127.0.0.1')
const teredoPrivateServer = teredo('10.0.0.1', '93.184.216.34')

/**
 * Private addresses put on `lo` beside 127.0.0.0/8 and ::1: whatever disguise reaches one of them
 * finds a receiver there, so a guard that let it through is seen, not hidden by a refused dial.
 */
export const privateAddresses = [
  '10.1.2.3',
  '192.168.7.7',
  '172.16.5.5',
  '169.254.169.254',
  '100.64.0.1',
  '100.100.100.200',
  '168.63.129.16',
  '198.18.0.1',
  '192.0.2.10',
  'fd00::1',
  'fd00:ec2::254',
  'fc00::1',
  'fec0::1',
  '2001:db8::1',
  '::127.0.0.1',
  '::ffff:0:7f00:1',
  '64:ff9b::7f00:1',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b:1::a00:1',
  '2002:7f00:1::',
  '2002:a9fe:a9fe::',
  teredoLoopback,
  teredoPrivateServer,
]

/** The namespace's /etc/hosts: names that resolve to private addresses without DNS. */
export const hostsFile = [
  '127.0.0.1 localhost localhost.localdomain',
  '::1 localhost ip6-localhost ip6-loopback',
  '10.1.2.3 hosts-private.test',
  '169.254.169.254 metadata.google.internal',
  'fd00::1 hosts-ula.test',
  '',
].join('\n')

const p = (name: string, url: string): SsrfTarget => ({ name, kind: 'private', url })
const rebinding = (name: string, url: string): SsrfTarget => ({
  ...p(name, url),
  passesCreate: true,
})
const redirect = (status: number, location: string, from = '93.184.216.34'): SsrfTarget => ({
  name: `${status} to ${location}`,
  kind: 'redirect',
  url: `http://${from.includes(':') ? `[${from}]` : from}/{path}`,
  redirect: { status, location: `${location}{path}-followed` },
})

/** Every target, in the order of the report. */
export const targets: SsrfTarget[] = [
  // IPv4 loopback in every spelling WHATWG URL accepts.
  p('loopback', 'http://127.0.0.1/{path}'),
  p('another loopback address', 'http://127.0.0.2/{path}'),
  p('top of 127/8', 'http://127.255.255.254/{path}'),
  p('decimal', 'http://2130706433/{path}'),
  p('octal', 'http://0177.0.0.1/{path}'),
  p('octal, one number', 'http://017700000001/{path}'),
  p('zero-padded parts', 'http://127.000.000.001/{path}'),
  p('hex', 'http://0x7f.0.0.1/{path}'),
  p('hex, one number', 'http://0x7f000001/{path}'),
  p('hex, every part', 'http://0x7f.0x0.0x0.0x1/{path}'),
  p('short, 2 parts', 'http://127.1/{path}'),
  p('short, 3 parts', 'http://127.0.1/{path}'),
  p('hex short', 'http://0x7f.1/{path}'),
  p('trailing dot', 'http://127.0.0.1./{path}'),
  p('percent-encoded', 'http://%31%32%37.0.0.1/{path}'),
  p('fullwidth digits', 'http://１２７.０.０.１/{path}'),
  p('ideographic full stops', 'http://127。0。0。1/{path}'),
  p('tab and newline inside', 'http://12\t7.0.0.\n1/{path}'),
  p('explicit port 80', 'http://127.0.0.1:80/{path}'),
  p('port 443', 'http://127.0.0.1:443/{path}'),
  p('https', 'https://127.0.0.1/{path}'),
  p('0', 'http://0/{path}'),
  p('0.0.0.0', 'http://0.0.0.0/{path}'),
  p('[::]', 'http://[::]/{path}'),
  p('[::1]', 'http://[::1]/{path}'),
  p('[::1] long form', 'http://[0:0:0:0:0:0:0:1]/{path}'),
  p('https [::1]', 'https://[::1]/{path}'),
  // IPv4 inside IPv6.
  p('IPv4-mapped', 'http://[::ffff:127.0.0.1]/{path}'),
  p('IPv4-mapped, hex', 'http://[::ffff:7f00:1]/{path}'),
  p('IPv4-mapped, long form', 'http://[0:0:0:0:0:ffff:127.0.0.1]/{path}'),
  p('IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]/{path}'),
  p('IPv4-compatible', 'http://[::127.0.0.1]/{path}'),
  p('IPv4-translated', 'http://[::ffff:0:127.0.0.1]/{path}'),
  p('NAT64', 'http://[64:ff9b::7f00:1]/{path}'),
  p('NAT64, dotted', 'http://[64:ff9b::127.0.0.1]/{path}'),
  p('NAT64 metadata', 'http://[64:ff9b::a9fe:a9fe]/{path}'),
  p('NAT64 local-use prefix', 'http://[64:ff9b:1::a00:1]/{path}'),
  p('6to4', 'http://[2002:7f00:1::]/{path}'),
  p('6to4 metadata', 'http://[2002:a9fe:a9fe::]/{path}'),
  p('Teredo, client 127.0.0.1', `http://[${teredoLoopback}]/{path}`),
  p('Teredo, server 10.0.0.1', `http://[${teredoPrivateServer}]/{path}`),
  // Private, link-local, CGNAT and reserved ranges, and cloud metadata.
  p('10/8', 'http://10.1.2.3/{path}'),
  p('10/8 in hex', 'http://0xa.1.2.3/{path}'),
  p('https 10/8', 'https://10.1.2.3/{path}'),
  p('192.168/16', 'http://192.168.7.7/{path}'),
  p('192.168/16 decimal', 'http://3232237319/{path}'),
  p('172.16/12', 'http://172.16.5.5/{path}'),
  p('metadata', 'http://169.254.169.254/latest/meta-data/{path}'),
  p('metadata decimal', 'http://2852039166/{path}'),
  p('metadata octal', 'http://0251.0376.0251.0376/{path}'),
  p('CGNAT 100.64/10', 'http://100.64.0.1/{path}'),
  p('Alibaba metadata', 'http://100.100.100.200/{path}'),
  p('Azure wire server', 'http://168.63.129.16/{path}'),
  p('benchmarking 198.18/15', 'http://198.18.0.1/{path}'),
  p('TEST-NET-1', 'http://192.0.2.10/{path}'),
  p('unique local fd00::/8', 'http://[fd00::1]/{path}'),
  p('AWS IPv6 metadata', 'http://[fd00:ec2::254]/{path}'),
  p('unique local fc00::/8', 'http://[fc00::1]/{path}'),
  p('site-local', 'http://[fec0::1]/{path}'),
  p('link-local', 'http://[fe80::1]/{path}'),
  p('link-local with zone', 'http://[fe80::1%25lo]/{path}'),
  p('IPv6 documentation', 'http://[2001:db8::1]/{path}'),
  // Names: the hosts file, then DNS.
  p('localhost', 'http://localhost/{path}'),
  p('localhost.', 'http://localhost./{path}'),
  p('LOCALHOST', 'http://LOCALHOST/{path}'),
  p('LocalHost.', 'http://LocalHost./{path}'),
  p('percent-encoded localhost', 'http://%6c%6f%63%61%6c%68%6f%73%74/{path}'),
  p('circled letters localhost', 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/{path}'),
  p('localhost.localdomain', 'http://localhost.localdomain/{path}'),
  p('ip6-localhost', 'http://ip6-localhost/{path}'),
  p('https localhost', 'https://localhost/{path}'),
  p('hosts file → 10/8', 'http://hosts-private.test/{path}'),
  p('hosts file → metadata', 'http://metadata.google.internal/computeMetadata/v1/{path}'),
  p('hosts file → fd00::1', 'http://hosts-ula.test/{path}'),
  p('DNS → 10/8', 'http://private.test/{path}'),
  p('DNS → loopback', 'http://loopback.test/{path}'),
  p('DNS → metadata', 'http://metadata.test/{path}'),
  p('DNS → CGNAT', 'http://cgnat.test/{path}'),
  p('DNS AAAA → fd00::1', 'http://v6-private.test/{path}'),
  p('DNS AAAA → ::1', 'http://v6-loopback.test/{path}'),
  p('DNS → 0.0.0.0', 'http://zero.test/{path}'),
  p('DNS AAAA → ::ffff:127.0.0.1', 'http://v6-mapped.test/{path}'),
  p('DNS64 AAAA → NAT64 of loopback', 'http://dns64.test/{path}'),
  p('DNS name, trailing dot', 'http://private.test./{path}'),
  p('DNS name, upper case', 'http://PRIVATE.TEST/{path}'),
  p('DNS → public and 10/8', 'http://mixed.test/{path}'),
  p('DNS → public A, ::1 AAAA', 'http://mixed46.test/{path}'),
  p('DNS CNAME → 10/8', 'http://cname.test/{path}'),
  p('DNS nip-style loopback', 'http://127.0.0.1.nip.test/{path}'),
  p('DNS nip-style 10/8', 'http://10.1.2.3.nip.test/{path}'),
  rebinding('rebinding → 10/8', 'http://rebind.test/{path}'),
  rebinding('rebinding → loopback', 'http://rebind-loopback.test/{path}'),
  rebinding('rebinding → metadata', 'http://rebind-metadata.test/{path}'),
  rebinding('rebinding IPv6 → fd00::1', 'http://rebind-v6.test/{path}'),
  rebinding('NXDOMAIN, then 192.168/16', 'http://late.test/{path}'),
  p('alternating public and 10/8', 'http://alternate.test/{path}'),
  // Parsers that disagree about the host.
  p('user name', 'http://public@127.0.0.1/{path}'),
  p('public address as user name', 'http://93.184.216.34@127.0.0.1/{path}'),
  p('user and password', 'http://user:pass@10.1.2.3/{path}'),
  p('public host:port as user', 'http://93.184.216.34:80@127.0.0.1/{path}'),
  p('@ in the fragment', 'http://127.0.0.1/{path}#@93.184.216.34/'),
  p('@ in the query', 'http://127.0.0.1/{path}?@93.184.216.34/'),
  p('backslash before @', 'http://93.184.216.34\\@127.0.0.1/{path}'),
  p('no slashes', 'http:127.0.0.1/{path}'),
  p('backslashes', 'http:\\\\127.0.0.1\\{path}'),
  p('upper-case scheme', 'HTTP://127.0.0.1/{path}'),
  p('leading space', ' http://127.0.0.1/{path}'),
  // Redirects from public receivers.
  redirect(301, 'http://127.0.0.1/'),
  redirect(302, 'http://10.1.2.3/'),
  redirect(303, 'http://localhost/'),
  redirect(307, 'http://169.254.169.254/latest/meta-data/'),
  redirect(308, 'http://[::1]/'),
  redirect(302, 'http://private.test/'),
  redirect(307, 'http://[fd00::1]/', '2606:4700::1111'),
  // The controls: a guard that refused everything would pass every row above.
  { name: 'public IPv4', kind: 'control', url: 'http://93.184.216.34/{path}' },
  { name: 'public IPv6', kind: 'control', url: 'http://[2606:4700::1111]/{path}' },
  { name: 'public name', kind: 'control', url: 'http://public.test/{path}' },
]

/** The state the zone answers from. */
export interface ZoneState {
  /** Set once every subscription is created: rebinding names turn private, `late.test` appears. */
  switched: boolean
  /** A queries of `alternate.test` so far: odd ones are answered public, even ones private. */
  alternations: number
}

const publicV4 = { addresses: ['93.184.216.34'] }
const fixedNames: Record<string, string[]> = {
  'public.test': publicAddresses,
  localhost: ['127.0.0.1', '::1'],
  'private.test': ['10.1.2.3'],
  'loopback.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'cgnat.test': ['100.64.0.1'],
  'v6-private.test': ['fd00::1'],
  'v6-loopback.test': ['::1'],
  'zero.test': ['0.0.0.0'],
  'v6-mapped.test': ['::ffff:127.0.0.1'],
  'dns64.test': ['64:ff9b::7f00:1'],
  'mixed.test': ['93.184.216.34', '10.1.2.3'],
  'mixed46.test': ['93.184.216.34', '::1'],
}
const rebound: Record<string, string[]> = {
  'rebind.test': ['10.1.2.3'],
  'rebind-loopback.test': ['127.0.0.1'],
  'rebind-metadata.test': ['169.254.169.254'],
  'rebind-v6.test': ['fd00::1'],
}

/** The namespace's DNS: what `name` resolves to now. */
export function zoneAnswer(
  state: ZoneState,
  name: string,
  type: 'A' | 'AAAA' | 'other',
): DnsAnswer {
  const fixed = fixedNames[name]
  if (fixed !== undefined) return { addresses: fixed }
  if (name === 'cname.test') return { cname: 'private.test', addresses: ['10.1.2.3'] }
  const nip = /^(\d+\.\d+\.\d+\.\d+)\.nip\.test$/.exec(name)
  if (nip !== null) return { addresses: [nip[1]!] }
  const rebinds = rebound[name]
  if (rebinds !== undefined) {
    if (state.switched) return { addresses: rebinds }
    return name === 'rebind-v6.test' ? { addresses: ['2606:4700::1111'] } : publicV4
  }
  if (name === 'late.test') return state.switched ? { addresses: ['192.168.7.7'] } : null
  if (name === 'alternate.test') {
    if (type !== 'A') return { addresses: [] }
    state.alternations++
    return state.alternations % 2 === 1 ? publicV4 : { addresses: ['10.1.2.3'] }
  }
  return null
}

/**
 * Where a subscription to a target was made: `p` planted under the permissive policy, `c` created
 * through the API under the default one, `u` the URL of an update.
 */
export type Phase = 'p' | 'c' | 'u'

/** The token that stands for `{path}`: `t007c` is target 7, created through the API. */
export function tokenOf(index: number, phase: Phase): string {
  return `t${String(index).padStart(3, '0')}${phase}`
}

/** The URL of target `index` for `phase`, its token in place. */
export function targetUrl(index: number, phase: Phase): string {
  return targets[index]!.url.replace('{path}', tokenOf(index, phase))
}

/** The target whose token a request's path carries, and the exact URL it was given as; or null. */
export function targetOfPath(path: string): { index: number; url: string } | null {
  const token = /t(\d{3})([pcu])/.exec(path)
  const index = Number(token?.[1])
  if (token === null || targets[index] === undefined) return null
  return { index, url: targetUrl(index, token[2] as Phase) }
}
