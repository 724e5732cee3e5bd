/**
 * The README's error catalogue (`## Errors` tables) against the messages the code
 * raises: every library error message must match a catalogue row, and every row must
 * be raised by some test.
 */
import { readFileSync } from 'fs';

/** One library error, split into its parts. */
export interface LibraryError {
  readonly message: string;
  readonly problem: string;
  readonly fix: string;
}

const FORMAT = /^(?:workload|scope|alerts) '[^\n]*?'(?:, (?:sidecar|alert) '[\s\S]*?')?: ([\s\S]*?)\. Fix: ([\s\S]*)\.$/;

/** The library errors in a raised message (cdk8s's validation error holds several). */
export function libraryErrors(raised: string): LibraryError[] {
  const candidates = raised.startsWith('Validation failed with the following errors:')
    ? raised.split('\n').slice(1).map(l => l.replace(/^\s*\[[^\]]*\] /, ''))
    : [raised];
  const errors: LibraryError[] = [];
  for (const message of candidates) {
    const m = FORMAT.exec(message);
    if (m) errors.push({ message, problem: m[1], fix: m[2] });
  }
  return errors;
}

/** A pattern of the catalogue (a code span of a row's first cell) as a regular expression. */
export interface CatalogueRow {
  readonly pattern: string;
  readonly regex: RegExp;
}

/**
 * The patterns of every table under `## Errors` in the README: each code span in a
 * row's first cell is one pattern, matched against the whole of an error's problem text.
 */
export function catalogue(readmePath: string): CatalogueRow[] {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf('\n## Errors');
  if (start < 0) throw new Error('README.md has no "## Errors" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const rows: CatalogueRow[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.slice(1, line.indexOf(' | ', 1));
    for (const code of cell.matchAll(/`([^`]+)`/g)) {
      rows.push({ pattern: code[1], regex: toRegex(code[1]) });
    }
  }
  return rows;
}

/**
 * A pattern describes a whole problem text: `<placeholder>` matches any text (even
 * none), `...` too; everything else literally.
 */
function toRegex(pattern: string): RegExp {
  const parts = pattern.split(/(<[^>]+>|\.\.\.)/);
  const source = parts.map(p => (p.startsWith('<') && p.endsWith('>')) || p === '...'
    ? '[\\s\\S]*?'
    : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${source}$`);
}
