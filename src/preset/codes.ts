import { configCodes } from '../internal/codes.js'

/**
 * Misuse of the `keel` preset, thrown at register time (or by `keelServerOptions`) as a `KeelConfigError`.
 * @see docs/preset.md
 */
export const PRESET_CONFIG_CODES = configCodes({
  KEEL_ERR_PRESET_INVALID_OPTION: {
    when: 'the preset options are not an object, name an unknown plugin, or a plugin entry is not an object or false',
    fix: 'pass `{ requestId?, errors?, security?, health?, pagination?, auth? }`, each an options object or `false`',
  },
})

/** A code of {@link PRESET_CONFIG_CODES}. */
export type PresetConfigCode = keyof typeof PRESET_CONFIG_CODES
