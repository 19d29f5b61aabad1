import {
  type ListenServer,
  type ListenServerOptions,
  startListenServer,
} from '../../src/cli/listen-server.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { SignatureScheme } from '../../src/core/signing/index.ts'
import { createHookrelay, type Hookrelay } from '../../src/index.ts'

/**
 * An engine on `:memory:` with loopback allowed and no worker (`drain()` delivers). On the real
 * clock, not the test clock of test/support: the listener checks webhook-timestamp against now,
 * within 5 minutes.
 */
export async function engine(): Promise<Hookrelay> {
  return createHookrelay({
    database: ':memory:',
    allowPrivateNetworks: ['127.0.0.0/8'],
    worker: false,
    jitter: 0,
    logger: silentLogger,
  })
}

/** Subscribes `url` with `secret`, publishes one order.created, delivers it; its attempts. */
export async function deliver(
  hooks: Hookrelay,
  url: string,
  secret: string,
  scheme: SignatureScheme = 'standard',
) {
  await hooks.subscriptions.create({
    name: `listener ${scheme}`,
    events: ['order.created'],
    config: { url, secret },
    signatureScheme: scheme,
  })
  const event = await hooks.publish({ type: 'order.created', data: { id: 42 } })
  await hooks.drain()
  const { attempts } = await hooks.events.get(event.id)
  return { event, attempts }
}

/** A listen server on a free loopback port: any path, no secret, answering 200, unless told. */
export function startListener(options: Partial<ListenServerOptions> = {}): Promise<ListenServer> {
  return startListenServer({
    port: 0,
    host: '127.0.0.1',
    path: null,
    secrets: [],
    scheme: null,
    status: 200,
    forwardTo: null,
    onRequest: () => {},
    ...options,
  })
}
