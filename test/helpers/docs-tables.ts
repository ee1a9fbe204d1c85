// The one docs-sync reader: every feature's test reads the code tables of its docs page here and holds them to
// its registries (response codes `{ status, when }`, config codes `{ when, fix }`), text for text.
import { readFileSync } from 'node:fs'

/** The code tables of one docs page, as the registries hold them. */
export interface DocumentedCodes {
  /** Rows `| code | status | when |`. */
  readonly response: Record<string, { status: number; when: string }>
  /** Rows `| KEEL_ERR_… | when | fix |`. */
  readonly config: Record<string, { when: string; fix: string }>
  /** Any other row whose first cell is a code (e.g. a mapping table), cells without their outer backticks. */
  readonly other: string[][]
}

const unquote = (cell: string): string => cell.replace(/^`|`$/g, '')

/** The text of `docs/<page>.md`. */
export function readDocs(page: string): string {
  return readFileSync(new URL(`../../docs/${page}.md`, import.meta.url), 'utf8')
}

/**
 * The rows of the tables under `## Error codes` in `docs/<page>.md` whose first cell is a code in backticks,
 * each as its trimmed cells. With `raw: false` (the default) the backticks around a cell are removed.
 */
export function codeTableRows(page: string, { raw = false }: { raw?: boolean } = {}): string[][] {
  const docs = readDocs(page)
  const start = docs.indexOf('## Error codes')
  if (start === -1) throw new Error(`docs/${page}.md has no "## Error codes" section`)
  const end = docs.indexOf('\n## ', start + 1)
  return docs
    .slice(start, end === -1 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => (raw ? cell.trim() : unquote(cell.trim()))),
    )
}

/** The code tables of `docs/<page>.md`, sorted into response codes, config codes and other rows. */
export function documentedCodes(page: string): DocumentedCodes {
  const response: Record<string, { status: number; when: string }> = {}
  const config: Record<string, { when: string; fix: string }> = {}
  const other: string[][] = []
  for (const [first = '', second = '', third = '', ...rest] of codeTableRows(page, { raw: true })) {
    const code = unquote(first)
    if (/^\d{3}$/.test(second) && rest.length === 0) response[code] = { status: Number(second), when: third }
    else if (code.startsWith('KEEL_ERR_') && rest.length === 0) config[code] = { when: second, fix: third }
    else other.push([code, unquote(second), unquote(third), ...rest.map(unquote)])
  }
  return { response, config, other }
}

/** A registry as plain data, for `toEqual` against {@link documentedCodes}. */
export function plain<T extends object>(registry: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(registry).map(([code, info]) => [code, { ...info }]))
}
