// Copies the template tree. The same filter serves the package's prepack (examples/user-api → template/)
// and the initializer (template/ → the new project), so what a user gets never depends on which ran.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Folders and files of a working copy that are never part of the template (local state, builds, secrets). */
const LOCAL_ONLY = new Set(['node_modules', '.data', 'dist', 'coverage', '.env', '.vitest-results.json'])

/**
 * npm leaves every `.gitignore` out of a published tarball, so the bundled template keeps it under this name
 * and the initializer renames it back.
 */
export const PACKED_GITIGNORE = '_gitignore'

/** Whether a file or folder named `name` belongs to the template. */
export function isTemplateEntry(name: string): boolean {
  if (LOCAL_ONLY.has(name)) return false
  if (name.startsWith('.env.') && name !== '.env.example') return false
  return !name.endsWith('.tgz') && !name.endsWith('.log')
}

/**
 * Copies the template at `from` into `to` (created if missing), leaving out local state.
 *
 * @param rename maps a file name to the name it gets in `to` @default the identity
 * @returns the copied files, relative to `to`, `/`-separated
 */
export function copyTemplate(from: string, to: string, rename: (name: string) => string = (n) => n): string[] {
  const copied: string[] = []
  const walk = (source: string, target: string, prefix: string): void => {
    mkdirSync(target, { recursive: true })
    for (const entry of readdirSync(source, { withFileTypes: true })) {
      if (!isTemplateEntry(entry.name)) continue
      if (entry.isDirectory()) {
        walk(join(source, entry.name), join(target, entry.name), `${prefix}${entry.name}/`)
      } else if (entry.isFile()) {
        const name = rename(entry.name)
        copyFileSync(join(source, entry.name), join(target, name))
        copied.push(`${prefix}${name}`)
      }
      // Anything else (a symlink, a socket) is local to one machine: not part of a template.
    }
  }
  walk(from, to, '')
  return copied.sort()
}
