/** The size of every request body in the benchmark: 1 KiB. */
export const bodyBytes = 1024

const tenant = 'bench'
const type = 'bench.event'
const sampleId = `evt_${'0'.repeat(26)}`
const sampleTimestamp = new Date(0).toISOString()

/** The envelope Hookrelay sends (`src/delivery/payload.ts`), for a ceiling that sends the same. */
export function envelope(id: string, timestamp: string, dataJson: string): string {
  return `{"id":${JSON.stringify(id)},"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(timestamp)},"tenant":${JSON.stringify(tenant)},"data":${dataJson}}`
}

const padding = (() => {
  const bare = envelope(sampleId, sampleTimestamp, JSON.stringify({ seq: '00000000', pad: '' }))
  return 'x'.repeat(bodyBytes - Buffer.byteLength(bare))
})()

/**
 * The data of event `seq`, padded so that the whole envelope is exactly `bodyBytes` long (IDs and
 * ISO timestamps have fixed lengths).
 */
export function eventData(seq: number): { seq: string; pad: string } {
  return { seq: String(seq % 100_000_000).padStart(8, '0'), pad: padding }
}

/** The tenant every bench event is published for. */
export const benchTenant = tenant
/** The type of every bench event; subscriptions listen to `bench.*`. */
export const benchType = type
