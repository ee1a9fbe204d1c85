// The command itself (bin/create-fastify-keel.js imports this file): read the arguments, create, say what is next.
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HELP, parseCommand, UsageError } from './args.js'
import { createProject, TargetNotEmptyError } from './create.js'

/** The bundled template, or the repository's example when run from a clone (before `npm pack`). */
function templateDir(): string {
  for (const candidate of ['../template/', '../../../examples/user-api/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url))
    if (existsSync(`${path}package.json`)) return path
  }
  throw new Error('create-fastify-keel: the template is missing from this installation; reinstall the package')
}

function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function quote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`
}

function main(argv: readonly string[]): number {
  let command: ReturnType<typeof parseCommand>
  try {
    command = parseCommand(argv, process.cwd(), existsSync)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`create-fastify-keel: ${error.message}\nRun with --help for usage.`)
    return 2
  }
  if (command.kind === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  if (command.kind === 'version') {
    console.log(ownVersion())
    return 0
  }
  let result: ReturnType<typeof createProject>
  try {
    result = createProject({ ...command, template: templateDir() })
  } catch (error) {
    if (!(error instanceof TargetNotEmptyError)) throw error
    console.error(`create-fastify-keel: ${error.message}; choose a new or empty folder`)
    return 1
  }
  const where = relative(process.cwd(), command.directory)
  const steps = where === '' ? result.nextSteps : [`cd ${quote(where)}`, ...result.nextSteps]
  console.log(`Created ${command.name} in ${command.directory} (${result.files.length} files).`)
  if (command.keel !== undefined) console.log(`fastify-keel comes from ${command.keel}.`)
  console.log(`.env has fresh random ${result.secrets.join(', ')}; .gitignore keeps it out of git.`)
  console.log(`\nNext:\n${steps.map((step) => `  ${step}`).join('\n')}`)
  return 0
}

process.exitCode = main(process.argv.slice(2))
