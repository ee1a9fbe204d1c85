// The one shape of every code registry: response codes `{ status, when }`, config codes `{ when, fix }`, frozen
// all the way down. Each feature declares its registries in its own `codes.ts` with these two functions.

/** A code sent to clients in problem documents: its one HTTP status, and when it is sent. */
export interface ResponseCodeInfo {
  /** The HTTP status sent with the code; a code has this status wherever it is sent. */
  readonly status: number
  /** When the code is sent (mirrors the feature's docs table). */
  readonly when: string
}

/** A `KeelConfigError` code (misuse of the library, thrown at boot): when it is thrown, and the fix. */
export interface ConfigCodeInfo {
  /** When the error is thrown. */
  readonly when: string
  /** What to change. */
  readonly fix: string
}

function freezeEntries<T extends object>(registry: T): Readonly<T> {
  for (const value of Object.values(registry)) Object.freeze(value)
  return Object.freeze(registry)
}

/** Declares a registry of response codes (SCREAMING_SNAKE → `{ status, when }`), frozen. */
export function responseCodes<const T extends Record<string, ResponseCodeInfo>>(registry: T): Readonly<T> {
  return freezeEntries(registry)
}

/** Declares a registry of config codes (`KEEL_ERR_…` → `{ when, fix }`), frozen. */
export function configCodes<const T extends Record<`KEEL_ERR_${string}`, ConfigCodeInfo>>(registry: T): Readonly<T> {
  return freezeEntries(registry)
}
