// npm's rules for a new package's name, as npm itself applies them when publishing (the registry refuses the
// rest): what `npm init` and `npm install` accept for the name field of a project created here.
import { builtinModules } from 'node:module'

const MAX_LENGTH = 214
const RESERVED = new Set(['node_modules', 'favicon.ico'])
const SCOPED = /^@([^/]+)\/([^/]+)$/

/**
 * Why `name` is not a valid name for a new npm package, or `undefined` when it is.
 *
 * @param name the candidate, e.g. `my-api` or `@acme/my-api`
 * @returns one sentence naming the rule it breaks
 * @example validatePackageName('My API') // 'must be lowercase'
 */
export function validatePackageName(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty'
  if (name.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`
  if (name.trim() !== name) return 'must not start or end with a space'
  if (name.toLowerCase() !== name) return 'must be lowercase'
  if (/^[._]/.test(name)) return 'must not start with a dot or an underscore'
  if (RESERVED.has(name)) return 'is reserved'
  if (builtinModules.includes(name)) return 'is the name of a Node.js core module'
  if (/[~'!()*]/.test(name)) return "must not contain any of ~'!()*"
  const scoped = SCOPED.exec(name)
  const parts = scoped === null ? [name] : [scoped[1] ?? '', scoped[2] ?? '']
  if (scoped === null && name.includes('/')) return 'may contain a slash only as @scope/name'
  for (const part of parts) {
    if (part.length === 0 || part.startsWith('.') || part.startsWith('_')) {
      return 'must have a scope and a name that do not start with a dot or an underscore'
    }
    if (encodeURIComponent(part) !== part) return 'must contain only URL-safe characters'
  }
  return undefined
}
