/** An answer of `callApi`: the status, the body text, and the body parsed when it is JSON. */
export interface HttpAnswer<T = unknown> {
  status: number
  text: string
  body: T
}

/** Calls a listening server's REST API over real HTTP with `Authorization: Bearer <key>`. */
export async function callApi<T = unknown>(
  server: { url: string },
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer<T>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, text, body: (text === '' ? null : JSON.parse(text)) as T }
}

/**
 * Reads until `done` holds, at most `tries` more times, `intervalMs` apart; answers the last value.
 * For state that another process changes, where there is nothing to await.
 */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { tries = 100, intervalMs = 50 } = {},
): Promise<T> {
  let value = await read()
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
    value = await read()
  }
  return value
}
