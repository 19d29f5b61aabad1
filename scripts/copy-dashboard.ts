// The dashboard is plain browser modules, not compiled: the build copies them beside the compiled
// server, which serves them from `dist/dashboard/`.
import { cpSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const from = fileURLToPath(new URL('../src/dashboard/', import.meta.url))
const to = fileURLToPath(new URL('../dist/dashboard/', import.meta.url))
rmSync(to, { recursive: true, force: true })
cpSync(from, to, { recursive: true })
