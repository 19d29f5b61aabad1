import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { HttpProblem } from './problem.ts'

/** Options of the `dashboard` plugin. */
export interface DashboardOptions {
  /**
   * The folder of the dashboard's files. Default is `../dashboard/` beside this module:
   * `src/dashboard/` when running from source, `dist/dashboard/` in the built package.
   */
  root?: URL
}

/** One file, read once at startup. */
interface StaticFile {
  body: Buffer
  type: string
  etag: string
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
}

/**
 * The page's own files only: no inline script or style, nothing from another origin, no framing.
 * Styles set from script through the CSSOM (`element.style`) are not inline styles, so they work.
 */
const htmlHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
}

/**
 * The web dashboard: `index.html` at `/` and every other file at `/dashboard/<path>`, served from
 * memory (read once when the plugin registers) and revalidated by ETag (`cache-control:
 * no-cache`, so an upgrade shows at once). Only files that were in the folder at startup can be
 * named, so no request path reaches the disk. Hidden from the OpenAPI document.
 *
 * @example
 * await app.register(dashboard)
 */
export async function dashboard(
  app: FastifyInstance,
  options: DashboardOptions = {},
): Promise<void> {
  const root = options.root ?? new URL('../dashboard/', import.meta.url)
  const files = await loadFiles(root)
  if (!files.has('index.html')) {
    app.log.warn({ root: fileURLToPath(root) }, 'dashboard files not found; / answers 404')
  }

  const send = (reply: FastifyReply, etag: string | undefined, file: StaticFile) => {
    reply.header('cache-control', 'no-cache')
    reply.header('etag', file.etag)
    reply.header('x-content-type-options', 'nosniff')
    if (file.type.startsWith('text/html')) reply.headers(htmlHeaders)
    if (etag === file.etag) return reply.code(304).send()
    return reply.type(file.type).send(file.body)
  }
  const notFound = () => new HttpProblem(404, 'route_not_found', 'no dashboard file by that name')

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const index = files.get('index.html')
    if (index === undefined) throw notFound()
    return send(reply, request.headers['if-none-match'], index)
  })
  app.get<{ Params: { '*': string } }>(
    '/dashboard/*',
    { schema: { hide: true } },
    async (request, reply) => {
      const file = files.get(request.params['*'])
      if (file === undefined) throw notFound()
      return send(reply, request.headers['if-none-match'], file)
    },
  )
}

/**
 * Every file below `root` with a known type, by its `/`-separated path; empty when the folder is
 * missing (a build that did not copy it), so the API still starts.
 */
async function loadFiles(root: URL): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>()
  const dir = fileURLToPath(root)
  let entries
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files
    throw err
  }
  for (const entry of entries) {
    const type = contentTypes[extname(entry.name)]
    if (!entry.isFile() || type === undefined) continue
    const path = `${entry.parentPath}${sep}${entry.name}`
    const body = await readFile(path)
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    files.set(relative(dir, path).split(sep).join('/'), { body, type, etag })
  }
  return files
}
