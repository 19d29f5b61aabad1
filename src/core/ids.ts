import { randomFillSync } from 'node:crypto'

/** The prefixes of Hookrelay's IDs, one per kind of object. */
export const idPrefixes = {
  subscription: 'sub',
  event: 'evt',
  delivery: 'dlv',
  attempt: 'att',
  key: 'key',
} as const

export type IdKind = keyof typeof idPrefixes

// Crockford base32: sortable as plain strings, no ambiguous letters.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

let lastTime = 0
let lastRandom: Uint8Array = new Uint8Array(10)

/**
 * A new prefixed, time-sortable ID: `evt_` + 26 characters of a ULID (48 bits of milliseconds,
 * 80 random bits). IDs made in the same millisecond by one process still sort in creation order.
 *
 * @example newId('event') // 'evt_01JD5V3K8W2Q9X7H4M6N0P1R2S'
 */
export function newId(kind: IdKind, now: number = Date.now()): string {
  if (now <= lastTime) {
    increment(lastRandom)
  } else {
    lastTime = now
    lastRandom = randomChunk()
  }
  return `${idPrefixes[kind]}_${encodeTime(lastTime)}${encodeRandom(lastRandom)}`
}

/**
 * The smallest ID of `kind` made at or after `time` (epoch ms): IDs sort by time, so
 * `id >= idFloor(kind, since)` selects by creation time through the primary key.
 */
export function idFloor(kind: IdKind, time: number): string {
  return `${idPrefixes[kind]}_${encodeTime(Math.max(0, Math.floor(time)))}`
}

// Randomness is drawn 10 bytes at a time from a pooled buffer: one system call per 409 IDs.
const pool = new Uint8Array(4096)
let poolOffset = pool.length

function randomChunk(): Uint8Array {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  poolOffset += 10
  return pool.slice(poolOffset - 10, poolOffset)
}

function encodeTime(time: number): string {
  let out = ''
  for (let i = 0; i < 10; i++) {
    out = alphabet[time % 32] + out
    time = Math.floor(time / 32)
  }
  return out
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits as 16 five-bit digits, most significant first, without BigInt (this is a hot path).
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += alphabet[(buffer >> bits) & 31]
    }
  }
  return out
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const value = bytes[i]!
    if (value < 255) {
      bytes[i] = value + 1
      return
    }
    bytes[i] = 0
  }
}
