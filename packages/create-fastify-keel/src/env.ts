// The new project's .env: a fresh random value for every secret the template reads, nothing else invented.
import { randomBytes } from 'node:crypto'

/** Always generated: the template signs access tokens with it. */
const REQUIRED_SECRETS = ['JWT_SECRET']
const SECRET_NAME = /\b([A-Z][A-Z0-9_]*_SECRET)\b/g

/** A secret for HMAC keys: 32 random bytes (256 bits), base64url, 43 characters. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The secrets to generate: `JWT_SECRET` and every other `*_SECRET` variable named in `sources` (the template's
 * `.env.example` and configuration module), in first-seen order.
 */
export function secretNames(sources: readonly string[]): string[] {
  const names = new Set(REQUIRED_SECRETS)
  for (const source of sources) for (const match of source.matchAll(SECRET_NAME)) names.add(match[1] ?? '')
  names.delete('')
  return [...names]
}

/**
 * The .env text: `example` (the template's `.env.example`, if any) with each secret's line given a fresh value,
 * and the secrets it does not list appended.
 *
 * @param example the `.env.example` text, or `''`
 * @param secrets the names from {@link secretNames}
 * @param generate the value generator @default generateSecret
 */
export function renderEnv(
  example: string,
  secrets: readonly string[],
  generate: () => string = generateSecret,
): string {
  const pending = new Set(secrets)
  const lines = example === '' ? [] : example.replace(/\n+$/, '').split('\n')
  const filled = lines.map((line) => {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1]
    if (key === undefined || !pending.has(key)) return line
    pending.delete(key)
    return `${key}=${generate()}`
  })
  const header = [
    '# Written by create-fastify-keel with fresh random secrets. Keep this file out of git (.gitignore lists it);',
    '# in production, set these variables from your secret store instead.',
  ]
  const added = [...pending].map((key) => `${key}=${generate()}`)
  return `${[...header, ...filled, ...added].join('\n')}\n`
}

/** `text` with a `.env` line, unless it already ignores .env. */
export function ignoreEnv(text: string): string {
  const ignored = text.split('\n').some((line) => ['.env', '/.env', '.env*', '/.env*'].includes(line.trim()))
  if (ignored) return text
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`
  return `${base}.env\n`
}
