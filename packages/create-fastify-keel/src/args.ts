// The command line: `create-fastify-keel <directory> [--name <name>] [--keel <path-or-tarball>]`.
import { basename, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { validatePackageName } from './name.js'

/** What the initializer was asked to do. */
export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | {
      kind: 'create'
      /** The absolute path of the folder to create (or fill, when it is empty). */
      directory: string
      /** The new project's package name: `--name`, or the folder's name. */
      name: string
      /** `--keel`: where `fastify-keel` is installed from, written to package.json as is. @default undefined (the registry) */
      keel?: string | undefined
    }

/** A command line that cannot run; the message says what to change. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const HELP = `Usage: npm create fastify-keel@latest <directory> [-- options]
       create-fastify-keel <directory> [options]

Creates <directory> from the fastify-keel template (a user API with auth, problem documents, request ids,
security defaults, health probes and pagination), names the package after the folder, and writes a .env
with fresh random secrets (listed in .gitignore). <directory> must not exist or be empty (a .git folder
is allowed).

Options:
  --name <name>    package name (npm's rules: lowercase, URL-safe, @scope/name allowed);
                   default: the directory's name
  --keel <spec>    install fastify-keel from here instead of the registry: a path to a tarball
                   (npm pack) or to a folder, written as file:<absolute path>, or a git URL
                   (git+https://…, github:owner/repo#ref) written as is
  -h, --help       print this help
  -v, --version    print the initializer's version

Example:
  npm create fastify-keel@latest my-api
  npx create-fastify-keel my-api --keel ../fastify-keel/fastify-keel-0.1.0.tgz
`

const GIT_SPEC = /^(?:git\+(?:https|ssh|file):|git:|github:|gitlab:|bitbucket:)/

/**
 * Reads the command line (without `node` and the script).
 *
 * @param argv e.g. `process.argv.slice(2)`
 * @param cwd where a relative `<directory>` or `--keel` path starts @default process.cwd()
 * @param exists whether a path exists (for `--keel`) @default a check that always says yes
 * @throws {UsageError} on an unknown option, a missing or extra directory, or a name npm refuses
 * @example parseCommand(['my-api', '--keel', './fastify-keel-0.1.0.tgz'], '/home/me')
 */
export function parseCommand(
  argv: readonly string[],
  cwd: string = process.cwd(),
  exists: (path: string) => boolean = () => true,
): Command {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }
  if (positionals.length === 0) throw new UsageError('missing <directory>: where to create the project, e.g. my-api')
  if (positionals.length > 1)
    throw new UsageError(`expected one <directory>, got ${positionals.length}: ${positionals.join(' ')}`)

  const directory = resolve(cwd, positionals[0] ?? '')
  const name = values.name ?? basename(directory)
  const problem = validatePackageName(name)
  if (problem !== undefined) {
    const fix = values.name === undefined ? '; choose one with --name' : ''
    throw new UsageError(`package name ${JSON.stringify(name)} ${problem}${fix}`)
  }
  return { kind: 'create', directory, name, keel: keelSpec(values.keel, cwd, exists) }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      keel: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}

function keelSpec(raw: string | undefined, cwd: string, exists: (path: string) => boolean): string | undefined {
  if (raw === undefined) return undefined
  if (raw.trim() === '') throw new UsageError('--keel needs a path to a tarball or folder, or a git URL')
  if (GIT_SPEC.test(raw)) return raw
  const path = resolve(cwd, raw.startsWith('file:') ? raw.slice('file:'.length) : raw)
  if (!exists(path)) throw new UsageError(`--keel: no such file or folder: ${path}`)
  return `file:${path}`
}
