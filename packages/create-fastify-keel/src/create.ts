// Creates a project from the template: copy, name, secrets, and the commands to run next.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ignoreEnv, renderEnv, secretNames } from './env.js'
import { copyTemplate, PACKED_GITIGNORE } from './template.js'

/** What {@link createProject} needs. */
export interface CreateOptions {
  /** The folder to create; it must not exist, or be empty (a `.git` folder is allowed). */
  directory: string
  /** The package name, already validated. */
  name: string
  /** The template folder: the bundled `template/`, or `examples/user-api` in the repository. */
  template: string
  /** Where `fastify-keel` comes from (`file:…`, a git URL); `undefined` keeps the template's range. */
  keel?: string | undefined
}

/** What {@link createProject} did. */
export interface CreateResult {
  /** The files written, relative to the project, `/`-separated. */
  files: string[]
  /** The secrets written to `.env`. */
  secrets: string[]
  /** The commands to run next inside the project, in order. */
  nextSteps: string[]
}

/** The target folder is not empty; nothing was written. */
export class TargetNotEmptyError extends Error {
  override name = 'TargetNotEmptyError'
}

/**
 * Creates a project from the template.
 *
 * @throws {TargetNotEmptyError} when `directory` has anything but `.git`; nothing is written then
 * @example createProject({ directory: '/home/me/my-api', name: 'my-api', template: templateDir() })
 */
export function createProject(options: CreateOptions): CreateResult {
  const { directory, name, template, keel } = options
  if (existsSync(directory)) {
    if (!statSync(directory).isDirectory()) throw new TargetNotEmptyError(`${directory} is a file`)
    const entries = readdirSync(directory).filter((entry) => entry !== '.git')
    if (entries.length > 0) {
      throw new TargetNotEmptyError(
        `${directory} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`,
      )
    }
  }
  const files = copyTemplate(template, directory, (file) => (file === PACKED_GITIGNORE ? '.gitignore' : file))
  const pkg = setPackage(join(directory, 'package.json'), name, keel)

  const gitignore = join(directory, '.gitignore')
  writeFileSync(gitignore, ignoreEnv(existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : 'node_modules/\n'))
  if (!files.includes('.gitignore')) files.push('.gitignore')

  const example = readIfExists(join(directory, '.env.example'))
  const secrets = secretNames([example, readIfExists(join(directory, 'src/config.ts'))])
  writeFileSync(join(directory, '.env'), renderEnv(example, secrets), { mode: 0o600 })
  files.push('.env')

  return { files: files.sort(), secrets, nextSteps: nextSteps(pkg.scripts ?? {}) }
}

interface PackageJson {
  name?: string
  scripts?: Record<string, string>
  dependencies?: Record<string, string>
}

function setPackage(path: string, name: string, keel: string | undefined): PackageJson {
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as PackageJson
  // Name first, as npm writes it; the rest keeps the template's order.
  const { name: _templateName, ...rest } = pkg
  const renamed: PackageJson = { name, ...rest }
  if (keel !== undefined) renamed.dependencies = { ...renamed.dependencies, 'fastify-keel': keel }
  const temporary = `${path}.tmp`
  writeFileSync(temporary, `${JSON.stringify(renamed, null, 2)}\n`)
  renameSync(temporary, path)
  return renamed
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

function nextSteps(scripts: Record<string, string>): string[] {
  const steps = ['npm install']
  if (scripts.test !== undefined) steps.push('npm test')
  if (scripts.dev !== undefined) steps.push('npm run dev')
  else if (scripts.build !== undefined) steps.push('npm run build && npm start')
  else steps.push('npm start')
  return steps
}
