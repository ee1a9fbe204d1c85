import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../errors/index.js'

/**
 * scrypt cost parameters. Defaults are OWASP's (N = 2^17, r = 8, p = 1: about 128 MiB and a few hundred ms).
 * @see docs/auth.md#passwords
 */
export interface PasswordHashOptions {
  /** log2 of the CPU/memory cost N (N = 2^ln), 10 to 20. @default 17 */
  ln?: number
  /** Block size r, 1 to 32. @default 8 */
  r?: number
  /** Parallelization p, 1 to 16. @default 1 */
  p?: number
}

const maxPasswordBytes = 1024
const saltBytes = 16
const keyBytes = 32
const defaults = Object.freeze({ ln: 17, r: 8, p: 1 })
const limits = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const
// $scrypt$ln=17,r=8,p=1$<salt, base64 without padding>$<hash, base64 without padding>
const phcPattern = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/

interface Params {
  ln: number
  r: number
  p: number
}

function params(options: PasswordHashOptions | undefined): Params {
  const resolved = { ...defaults, ...options }
  for (const name of ['ln', 'r', 'p'] as const) {
    const value = resolved[name]
    const [min, max] = limits[name]
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`scrypt parameter "${name}" must be an integer from ${min} to ${max}, got ${String(value)}`)
    }
  }
  return resolved
}

function derive(password: string, salt: Buffer, length: number, { ln, r, p }: Params): Promise<Buffer> {
  const N = 2 ** ln
  // Node refuses more than 32 MiB by default; scrypt needs about 128 * N * r bytes.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * (p + 1) + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    // Async scrypt runs on the libuv thread pool, never blocking the event loop.
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

function tooLong(password: string): boolean {
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes: count bytes only when the length alone cannot decide.
  return (
    password.length > maxPasswordBytes ||
    (password.length * 3 > maxPasswordBytes && Buffer.byteLength(password) > maxPasswordBytes)
  )
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '')
}

/**
 * Hashes a password with scrypt into a PHC string `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (16-byte random salt,
 * 32-byte key). Rejects passwords over 1024 bytes with a 400 `HttpError` (`PASSWORD_TOO_LONG`) before hashing.
 *
 * @param options cost parameters; defaults N = 2^17, r = 8, p = 1
 * @example
 * const hash = await hashPassword(body.password)   // store `hash` in the users table
 * @see docs/auth.md#passwords
 */
export async function hashPassword(password: string, options?: PasswordHashOptions): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('hashPassword(password) needs a string')
  if (tooLong(password)) {
    throw new HttpError(400, `Passwords are limited to ${maxPasswordBytes} bytes`, { code: 'PASSWORD_TOO_LONG' })
  }
  const p = params(options)
  const salt = randomBytes(saltBytes)
  const key = await derive(password, salt, keyBytes, p)
  return `$scrypt$ln=${p.ln},r=${p.r},p=${p.p}$${b64(salt)}$${b64(key)}`
}

function parse(hash: unknown): (Params & { salt: Buffer; key: Buffer }) | undefined {
  if (typeof hash !== 'string') return undefined
  const match = phcPattern.exec(hash)
  if (match === null) return undefined
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])]
  // Never let a stored string ask for more work or memory than the allowed maximum.
  if (
    ln < limits.ln[0] ||
    ln > limits.ln[1] ||
    r < limits.r[0] ||
    r > limits.r[1] ||
    p < limits.p[0] ||
    p > limits.p[1]
  ) {
    return undefined
  }
  const salt = Buffer.from(match[4]!, 'base64')
  const key = Buffer.from(match[5]!, 'base64')
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined
  return { ln, r, p, salt, key }
}

/**
 * Checks a password against a hash from {@link hashPassword}, in constant time. Resolves `false` for a wrong
 * password, a password over 1024 bytes, or a malformed hash string (it never throws for bad input).
 *
 * @example
 * if (!(await verifyPassword(body.password, user.passwordHash))) throw httpErrors.unauthorized()
 * @see docs/auth.md#passwords
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (typeof password !== 'string' || tooLong(password)) return false
  const parsed = parse(hash)
  if (parsed === undefined) return false
  const key = await derive(password, parsed.salt, parsed.key.length, parsed)
  return timingSafeEqual(key, parsed.key)
}

/**
 * True when a hash should be recomputed (at the next successful login): its parameters are below the
 * current ones, or it is not a hash this module understands.
 *
 * @param options the current cost parameters; defaults N = 2^17, r = 8, p = 1
 * @example
 * if (await verifyPassword(pw, user.hash) && needsRehash(user.hash)) await saveHash(user.id, await hashPassword(pw))
 * @see docs/auth.md#passwords
 */
export function needsRehash(hash: string, options?: PasswordHashOptions): boolean {
  const current = params(options)
  const parsed = parse(hash)
  if (parsed === undefined) return true
  return parsed.ln < current.ln || parsed.r < current.r || parsed.p < current.p || parsed.key.length < keyBytes
}
