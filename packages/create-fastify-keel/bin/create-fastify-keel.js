#!/usr/bin/env node
// The command npm runs for `npm create fastify-keel`; the code is compiled to dist/ when the package is packed.
import '../dist/cli.js'
