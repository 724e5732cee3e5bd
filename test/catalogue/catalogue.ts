/**
 * The error catalogue (`## Errors` tables in docs/, keyed by code) against the errors
 * the code raises: every library error's code must have a row whose patterns match its
 * problem text, and (on a full run) every row's code must be raised by some test.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

/** One library error, split into its parts. */
export interface LibraryError {
  readonly message: string;
  readonly code: string;
  readonly problem: string;
  readonly fix: string;
}

const FORMAT = /^\[([A-Z][A-Z0-9_]*)\] (?:workload|scope|alerts|alert pack|construct) '[^\n]*?'(?:, (?:sidecar|alert) '[\s\S]*?')?: ([\s\S]*?)\. Fix: ([\s\S]*)\.$/;

/** The library errors in a raised message (cdk8s's validation error holds several). */
export function libraryErrors(raised: string): LibraryError[] {
  const candidates = raised.startsWith('Validation failed with the following errors:')
    ? raised.split('\n').slice(1).map(l => l.replace(/^\s*\[[^\]]*\] (?=\[)/, ''))
    : [raised];
  const errors: LibraryError[] = [];
  for (const message of candidates) {
    const m = FORMAT.exec(message);
    if (m) errors.push({ message, code: m[1], problem: m[2], fix: m[3] });
  }
  return errors;
}

/** One row of the catalogue: a code and the problem texts it stands for. */
export interface CatalogueRow {
  readonly code: string;
  readonly file: string;
  readonly patterns: Array<{ readonly pattern: string; readonly regex: RegExp }>;
}

/**
 * The rows of every table under `## Errors` in the Markdown files below `docsDir`: the
 * first cell is the code (a code span), the second one or more code spans, each a
 * pattern of the whole problem text.
 */
export function catalogue(docsDir: string): CatalogueRow[] {
  const rows: CatalogueRow[] = [];
  for (const file of markdownFiles(docsDir)) {
    const text = readFileSync(file, 'utf8');
    const start = text.indexOf('\n## Errors');
    if (start < 0) continue;
    const next = text.indexOf('\n## ', start + 1);
    for (const line of text.slice(start, next < 0 ? undefined : next).split('\n')) {
      const cells = line.split(' | ');
      const code = /^\| `([A-Z][A-Z0-9_]*)`$/.exec(cells[0] ?? '');
      if (!code || cells.length < 3) continue;
      const patterns = [...cells[1].matchAll(/`([^`]+)`/g)].map(p => ({ pattern: p[1], regex: toRegex(p[1]) }));
      rows.push({ code: code[1], file, patterns });
    }
  }
  return rows;
}

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out.sort();
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
