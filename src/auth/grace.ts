// The grace window's one secret: a repeat of a rotation must get the same new refresh token, so the store keeps
// that token for `refreshGraceWindow`, sealed (AES-256-GCM) under a key derived (HKDF-SHA-256) from the presented
// refresh token. The store never holds that token, only its SHA-256, and the key cannot be derived from the
// hash: someone who reads the store learns nothing usable; only a caller presenting the old token, which it could
// rotate anyway within the window, can open the seal. Nothing is sealed when the window is off.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const INFO = 'fastify-keel refresh-token grace v1'
const VERSION = 'g1.'
const IV_BYTES = 12
const TAG_BYTES = 16
/** Longest sealed value: a 43-character token gives `g1.` + 80 characters; stores bound their columns to it. */
export const MAX_SEALED_LENGTH = 256

function keyOf(refreshToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', refreshToken, '', INFO, 32))
}

/**
 * Seals `next` (the successor) under a key derived from `presented` (the token being rotated), bound to
 * `presentedHash` as associated data.
 */
export function sealSuccessor(presented: string, presentedHash: string, next: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', keyOf(presented), iv)
  cipher.setAAD(Buffer.from(presentedHash))
  const sealed = Buffer.concat([iv, cipher.update(next, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return `${VERSION}${sealed.toString('base64url')}`
}

/** Opens what {@link sealSuccessor} sealed, or `undefined` when it was not sealed for this token. */
export function openSuccessor(presented: string, presentedHash: string, sealed: string): string | undefined {
  if (!sealed.startsWith(VERSION) || sealed.length > MAX_SEALED_LENGTH) return undefined
  const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64url')
  if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(presented), bytes.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(presentedHash))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
