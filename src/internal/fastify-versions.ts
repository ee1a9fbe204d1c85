// The Fastify majors every keel plugin declares to `fastify-plugin`, so Fastify refuses others at register
// time with FST_ERR_PLUGIN_VERSION_MISMATCH. Only majors the suite runs green on belong here (5 in
// `npm test`, the 6 pre-releases in `.ci/run`); `package.json#peerDependencies.fastify` says the same.

/** The `fastify` range of every keel plugin's `fastify-plugin` metadata. */
export const FASTIFY_VERSIONS = '5.x || 6.x'
