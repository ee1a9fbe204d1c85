// jose is an optional peer dependency: only apps that verify tokens of an identity provider install it. It is loaded
// once, at register time, and its absence fails the boot with the command that fixes it.
import type { OptionsReader } from '../../internal/options.js'
import type { Jose } from './verify.js'

/** Loads jose, or throws `KEEL_ERR_AUTH_JOSE_MISSING`. */
export async function loadJose(read: OptionsReader): Promise<Jose> {
  try {
    return await import('jose')
  } catch (error) {
    // keel's CommonJS build loads jose (ESM only) with require, which Node supports from 20.19 on.
    if ((error as { code?: unknown } | null)?.code === 'ERR_REQUIRE_ESM') {
      throw read.misuse(
        'KEEL_ERR_AUTH_JOSE_MISSING',
        'option "issuers" verifies tokens with jose, which is ESM-only and cannot be required by this Node version',
        'use Node 20.19 or later, or load fastify-keel with import (its ESM build)',
      )
    }
    throw read.misuse(
      'KEEL_ERR_AUTH_JOSE_MISSING',
      'option "issuers" verifies tokens with jose, an optional peer dependency that is not installed',
      'run `npm install jose` (version 6)',
    )
  }
}
