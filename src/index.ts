// The root entry: the `keel` preset and its types. Each plugin's names and decorator types come from its subpath.
export * from './preset/index.js'
export { keel as default } from './preset/index.js'
