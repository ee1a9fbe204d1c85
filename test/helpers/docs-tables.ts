// Reads the code tables of a docs page, so each feature's test can keep its docs and its code registry in sync.
import { readFileSync } from 'node:fs'

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
        .map((cell) => (raw ? cell.trim() : cell.trim().replace(/^`|`$/g, ''))),
    )
}

/** The text of `docs/<page>.md`. */
export function readDocs(page: string): string {
  return readFileSync(new URL(`../../docs/${page}.md`, import.meta.url), 'utf8')
}
