// The root entry: the `keel` preset and its own API, nothing else. Each plugin's names, and the types of its
// decorators (`app.authenticate`, `app.health`, …), come with its subpath, so they are typed only where they exist.
export * from './preset/index.js'
export { keel as default } from './preset/index.js'
