/**
 * A tiny authoritative DNS server over UDP, for the SSRF scenario's network namespace: it answers
 * A, AAAA and CNAME queries from a function, so a name can resolve to a private address, to a
 * public and a private one at once, or to one thing now and another a moment later (rebinding).
 * Every answer has a TTL of 0, as a rebinding attacker's would. Only what glibc's stub resolver
 * sends is understood: one question per message, no EDNS, no TCP.
 */
import { createSocket, type Socket } from 'node:dgram'
import ipaddr from 'ipaddr.js'

/** The records of one name for one query type; `null` answers NXDOMAIN. */
export type DnsAnswer = { cname?: string; addresses: string[] } | null

/** Answers a query for `name` (lower case, no trailing dot) of `type` (`A`, `AAAA` or other). */
export type DnsZone = (name: string, type: 'A' | 'AAAA' | 'other') => DnsAnswer

/** A running DNS server and how many queries it answered. */
export interface DnsServer {
  queries(): number
  close(): Promise<void>
}

const typeA = 1
const typeCname = 5
const typeAaaa = 28

/** Starts answering on `host`:`port` (53 inside the namespace, where /etc/resolv.conf names it). */
export async function startDnsServer(
  host: string,
  port: number,
  zone: DnsZone,
): Promise<DnsServer> {
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  let queries = 0
  socket.on('message', (message, from) => {
    const reply = answerQuery(message, zone)
    if (reply === null) return
    queries++
    socket.send(reply, from.port, from.address)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  return {
    queries: () => queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

/** The reply to one query message, or null when it is not a query this server understands. */
function answerQuery(message: Buffer, zone: DnsZone): Buffer | null {
  if (message.length < 12 || (message[2]! & 0x80) !== 0 || message.readUInt16BE(4) !== 1) {
    return null
  }
  const question = readName(message, 12)
  if (question === null || question.end + 4 > message.length) return null
  const qtype = message.readUInt16BE(question.end)
  const type = qtype === typeA ? 'A' : qtype === typeAaaa ? 'AAAA' : 'other'
  const answer = zone(question.name.toLowerCase().replace(/\.$/, ''), type)
  const records: Buffer[] = []
  if (answer !== null) {
    // The question's name is at offset 12 of the reply too: 0xc00c points at it.
    let owner: Buffer = Buffer.from([0xc0, 0x0c])
    if (answer.cname !== undefined) {
      const target = encodeName(answer.cname)
      records.push(record(owner, typeCname, target))
      owner = target
    }
    for (const address of answer.addresses) {
      const ip = ipaddr.parse(address)
      const wanted = ip.kind() === 'ipv4' ? typeA : typeAaaa
      if (wanted === qtype) records.push(record(owner, wanted, Buffer.from(ip.toByteArray())))
    }
  }
  const header = Buffer.alloc(12)
  header.writeUInt16BE(message.readUInt16BE(0), 0) // the query's id
  // QR, AA, RD as asked, RA; rcode 3 (NXDOMAIN) for a name that does not exist.
  header.writeUInt16BE(0x8480 | ((message[2]! & 0x01) << 8) | (answer === null ? 3 : 0), 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(records.length, 6)
  return Buffer.concat([header, message.subarray(12, question.end + 4), ...records])
}

function record(owner: Buffer, type: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(10)
  fixed.writeUInt16BE(type, 0)
  fixed.writeUInt16BE(1, 2) // class IN
  fixed.writeUInt32BE(0, 4) // TTL 0: nothing may keep the answer
  fixed.writeUInt16BE(data.length, 8)
  return Buffer.concat([owner, fixed, data])
}

function readName(message: Buffer, start: number): { name: string; end: number } | null {
  const labels: string[] = []
  let at = start
  while (at < message.length) {
    const length = message[at]!
    if (length === 0) return { name: labels.join('.'), end: at + 1 }
    if (length > 63) return null // compression pointers never appear in a question we are sent
    labels.push(message.toString('latin1', at + 1, at + 1 + length))
    at += 1 + length
  }
  return null
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((label) => label !== '')
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0]),
  ])
}
