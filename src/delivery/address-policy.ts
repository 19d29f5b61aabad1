import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { ValidationError } from '../core/errors.ts'

type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6
type Cidr = [IPv4 | IPv6, number]

/** Decides which IP addresses Hookrelay may connect to. */
export interface AddressPolicy {
  /** True when a connection to `ip` (an IPv4 or IPv6 literal, no brackets) is allowed. */
  isAllowed(ip: string): boolean
}

/**
 * Builds the address policy of the SSRF guard. `false` (the default) allows only public unicast
 * addresses; `true` allows everything; a list of CIDRs (`['127.0.0.0/8', '::1/128']`) allows those
 * networks on top of the public ones. An invalid CIDR throws a `ValidationError`.
 *
 * @example
 * createAddressPolicy(['127.0.0.0/8']).isAllowed('127.0.0.1') // true
 */
export function createAddressPolicy(
  allowPrivateNetworks: boolean | readonly string[],
): AddressPolicy {
  if (allowPrivateNetworks === true) return { isAllowed: (ip) => parseIp(ip) !== undefined }
  const allowList = allowPrivateNetworks === false ? [] : allowPrivateNetworks.map(parseCidr)
  return {
    isAllowed(ip) {
      const addr = parseIp(ip)
      if (addr === undefined) return false
      return isInAllowList(addr, allowList) || isPublic(addr)
    },
  }
}

// Checked on top of ipaddr.js's own classification, so the documented ranges stay refused even
// if a later ipaddr.js release renames or drops one of its range names.
const refusedV4: readonly Cidr[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  // Cloud metadata endpoints that sit outside the ranges above.
  '168.63.129.16/32', // Azure wire server
  '100.100.100.200/32', // Alibaba Cloud (inside CGNAT too)
].map((c) => ipaddr.parseCIDR(c))

const refusedV6: readonly Cidr[] = [
  '::/128',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
  'fec0::/10',
  'ff00::/8',
  '2001:db8::/32',
  'fd00:ec2::254/128', // AWS metadata over IPv6 (inside fc00::/7 too)
].map((c) => ipaddr.parseCIDR(c))

const globalUnicastV6 = ipaddr.parseCIDR('2000::/3')
const nat64WellKnown = ipaddr.parseCIDR('64:ff9b::/96')
const nat64LocalUse = ipaddr.parseCIDR('64:ff9b:1::/48')
const sixToFour = ipaddr.parseCIDR('2002::/16')
const teredo = ipaddr.parseCIDR('2001::/32')

// Only canonical literals (what URL parsing and DNS produce) are accepted: ipaddr.js alone would
// also read forms such as `0x7f.1`, which must never reach it unnormalised.
function parseIp(ip: string): IPv4 | IPv6 | undefined {
  if (isIP(ip) === 0) return undefined
  try {
    return ipaddr.parse(ip)
  } catch {
    return undefined
  }
}

function parseCidr(cidr: string): Cidr {
  const slash = cidr.lastIndexOf('/')
  const address = cidr.slice(0, slash)
  const bits = cidr.slice(slash + 1)
  if (slash === -1 || isIP(address) === 0 || !/^\d{1,3}$/.test(bits)) {
    throw new ValidationError('allowPrivateNetworks', 'must be a list of CIDRs such as 10.0.0.0/8')
  }
  try {
    return ipaddr.parseCIDR(cidr)
  } catch {
    throw new ValidationError('allowPrivateNetworks', 'must be a list of CIDRs such as 10.0.0.0/8')
  }
}

function inAny(addr: IPv4 | IPv6, cidrs: readonly Cidr[]): boolean {
  return cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))
}

function isInAllowList(addr: IPv4 | IPv6, allowList: readonly Cidr[]): boolean {
  if (allowList.length === 0) return false
  if (inAny(addr, allowList)) return true
  return addr.kind() === 'ipv6' && (addr as IPv6).isIPv4MappedAddress()
    ? inAny((addr as IPv6).toIPv4Address(), allowList)
    : false
}

function isPublic(addr: IPv4 | IPv6): boolean {
  return addr.kind() === 'ipv4' ? isPublicV4(addr as IPv4) : isPublicV6(addr as IPv6)
}

function isPublicV4(addr: IPv4): boolean {
  return addr.range() === 'unicast' && !inAny(addr, refusedV4)
}

function isPublicV6(addr: IPv6): boolean {
  const p = addr.parts
  // IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96 and IPv4-compatible ::/96 all reach
  // the embedded IPv4 (through the dual stack, SIIT or an automatic tunnel): judge that address.
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0) {
    const mapped = p[4] === 0 && p[5] === 0xffff
    const translated = p[4] === 0xffff && p[5] === 0
    const compatible = p[4] === 0 && p[5] === 0 && (p[6] ?? 0) !== 0
    if (mapped || translated || compatible) return isPublicV4(v4From(p[6], p[7]))
    return false
  }
  if (addr.match(nat64WellKnown)) return isPublicV4(v4From(p[6], p[7]))
  // The local-use NAT64 prefix is carved into operator-chosen prefix lengths, so where the IPv4
  // sits is unknown; by definition it only translates inside one network.
  if (addr.match(nat64LocalUse)) return false
  if (addr.match(sixToFour)) return isPublicV4(v4From(p[1], p[2]))
  if (addr.match(teredo)) {
    // Teredo: server IPv4 in bits 32–63, client IPv4 (obfuscated by XOR) in the last 32 bits.
    const server = v4From(p[2], p[3])
    const client = v4From((p[6] ?? 0) ^ 0xffff, (p[7] ?? 0) ^ 0xffff)
    return isPublicV4(server) && isPublicV4(client)
  }
  return addr.match(globalUnicastV6) && addr.range() === 'unicast' && !inAny(addr, refusedV6)
}

function v4From(high: number | undefined, low: number | undefined): IPv4 {
  const h = high ?? 0
  const l = low ?? 0
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff])
}
