export { PRESET_CONFIG_CODES, type PresetConfigCode } from './codes.js'
export { type KeelOptions, PRESET_ORDER, type PresetPlugin } from './options.js'
export { keel, keel as default } from './plugin.js'
export { type KeelServerOptions, keelServerOptions } from './server-options.js'
