// The root entry: the `keel` preset (also the default export) and every public name of every subpath.
export * from './auth/index.js'
export * from './errors/index.js'
export * from './health/index.js'
export * from './pagination/index.js'
export * from './preset/index.js'
export { keel as default } from './preset/index.js'
export * from './request-id/index.js'
export * from './security/index.js'
