// The Node.js lines `.ci/run` tests beside the system Node (20), run from the registry's `node` package.
import { root, step } from '../../test/package/consumer.mjs'

export const NODE_22 = '22'
export const NODE_24 = '24'

/** The unit suite: everything but the example app's end-to-end tests and the benchmark harness. */
export const UNIT_SUITE = ['--exclude', 'examples/**', '--exclude', 'test/bench/**']

/** Runs `vitest run …args` with Node `major` (vitest's workers inherit it). */
export function vitestOn(major, args, { cwd = root, title = `vitest on Node ${major}` } = {}) {
  const node = ['-y', '-p', `node@${major}`, '--', 'node']
  step(`${title}: Node version`, 'npx', [...node, '--version'], { cwd })
  step(title, 'npx', [...node, 'node_modules/vitest/vitest.mjs', 'run', ...args], { cwd })
}
