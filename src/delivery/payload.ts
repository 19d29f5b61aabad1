import type { PayloadMode } from '../core/types.ts'
import type { ClaimedEvent } from '../store/store.ts'

/**
 * The exact body a subscription receives: the envelope `{id, type, timestamp, tenant, data}`, or
 * only `data`. Built from the stored JSON text of `data`, which is never parsed on this path.
 */
export function buildBody(event: ClaimedEvent, mode: PayloadMode): string {
  if (mode === 'data') return event.dataJson
  return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.timestamp)},"tenant":${JSON.stringify(event.tenant)},"data":${event.dataJson}}`
}
