import { describe, expect, it } from 'vitest'
import { parseCommand, UsageError } from '../../packages/create-fastify-keel/src/args.js'
import { validatePackageName } from '../../packages/create-fastify-keel/src/name.js'

const cwd = '/home/me/work'
const exists = (path: string) => path === '/home/me/work/fastify-keel-0.1.0.tgz' || path === '/opt/keel'

function usageError(argv: string[]): string {
  try {
    parseCommand(argv, cwd, exists)
  } catch (error) {
    if (error instanceof UsageError) return error.message
    throw error
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`)
}

describe('create-fastify-keel arguments', () => {
  it('should name the package after the directory', () => {
    expect(parseCommand(['my-api'], cwd, exists)).toEqual({
      kind: 'create',
      directory: '/home/me/work/my-api',
      name: 'my-api',
      keel: undefined,
    })
  })

  it('should take the name from --name, scoped names included', () => {
    expect(parseCommand(['services/api', '--name', '@acme/api'], cwd, exists)).toMatchObject({
      directory: '/home/me/work/services/api',
      name: '@acme/api',
    })
  })

  it('should write a --keel tarball or folder as file: with an absolute path', () => {
    expect(parseCommand(['my-api', '--keel', './fastify-keel-0.1.0.tgz'], cwd, exists)).toMatchObject({
      keel: 'file:/home/me/work/fastify-keel-0.1.0.tgz',
    })
    expect(parseCommand(['my-api', '--keel=file:/opt/keel'], cwd, exists)).toMatchObject({ keel: 'file:/opt/keel' })
  })

  it('should keep a --keel git URL as written', () => {
    for (const spec of ['github:fastify-keel/fastify-keel#main', 'git+https://example.com/keel.git']) {
      expect(parseCommand(['my-api', '--keel', spec], cwd, exists)).toMatchObject({ keel: spec })
    }
  })

  it('should answer --help and --version before anything else', () => {
    expect(parseCommand(['--help'], cwd, exists)).toEqual({ kind: 'help' })
    expect(parseCommand(['-h', 'My API'], cwd, exists)).toEqual({ kind: 'help' })
    expect(parseCommand(['-v'], cwd, exists)).toEqual({ kind: 'version' })
  })

  it.each([
    { argv: [], says: /missing <directory>/ },
    { argv: ['a', 'b'], says: /expected one <directory>, got 2/ },
    { argv: ['my-api', '--template', 'x'], says: /Unknown option '--template'/ },
    { argv: ['my-api', '--keel'], says: /--keel/ },
    { argv: ['my-api', '--keel', ''], says: /--keel needs a path/ },
    { argv: ['my-api', '--keel', './missing.tgz'], says: /no such file or folder: \/home\/me\/work\/missing\.tgz/ },
    { argv: ['My-API'], says: /"My-API" must be lowercase; choose one with --name/ },
    { argv: ['my-api', '--name', 'My-API'], says: /"My-API" must be lowercase$/ },
  ])('should refuse $argv', ({ argv, says }) => {
    expect(usageError(argv)).toMatch(says)
  })
})

describe('npm package name rules', () => {
  it.each(['my-api', 'api2', 'a.b_c-d', '@acme/my-api', 'x'.repeat(214)])('should accept %s', (name) => {
    expect(validatePackageName(name)).toBeUndefined()
  })

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(215), 'must be at most 214 characters'],
    [' my-api', 'must not start or end with a space'],
    ['MyApi', 'must be lowercase'],
    ['.hidden', 'must not start with a dot or an underscore'],
    ['_private', 'must not start with a dot or an underscore'],
    ['node_modules', 'is reserved'],
    ['favicon.ico', 'is reserved'],
    ['http', 'is the name of a Node.js core module'],
    ['fs', 'is the name of a Node.js core module'],
    ['wow!', "must not contain any of ~'!()*"],
    ['my api', 'must contain only URL-safe characters'],
    ['a/b', 'may contain a slash only as @scope/name'],
    ['@acme/', 'may contain a slash only as @scope/name'],
    ['@/name', 'may contain a slash only as @scope/name'],
    ['@acme/.x', 'must have a scope and a name that do not start with a dot or an underscore'],
    ['@acme/my api', 'must contain only URL-safe characters'],
    ['ümlaut', 'must contain only URL-safe characters'],
  ])('should refuse %j: %s', (name, problem) => {
    expect(validatePackageName(name)).toBe(problem)
  })
})
