import { existsSync, readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import { catalogue, libraryErrors } from './catalogue';

const ROOT = join(__dirname, '..', '..');

/**
 * After the whole suite: every error message the library raised in the tests matches
 * a row of the README's error catalogue, and (when every test file ran) every row
 * was raised by some test. Fails the run otherwise.
 */
export default function globalTeardown(): void {
  const dir = join(ROOT, 'test-reports', 'error-messages');
  if (!existsSync(dir)) return;
  const records = readdirSync(dir).map(f => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { testPath: string; messages: string[] });
  const rows = catalogue(join(ROOT, 'README.md'));

  const problems: string[] = [];
  const used = new Set<string>();
  const errors = new Map<string, string>();
  for (const record of records) {
    for (const raised of record.messages) {
      for (const e of libraryErrors(raised)) errors.set(e.problem, relative(ROOT, record.testPath));
    }
  }
  for (const [problem, testPath] of errors) {
    // The most specific matching row (the most literal text) describes the error.
    const row = rows.filter(r => r.regex.test(problem)).sort((x, y) => literal(y.pattern) - literal(x.pattern))[0];
    if (row === undefined) {
      problems.push(`not in the README's error catalogue (raised in ${testPath}): ${JSON.stringify(problem)}`);
    } else {
      used.add(row.pattern);
    }
  }

  const ran = new Set(records.map(r => relative(ROOT, r.testPath)));
  const all = testFiles(join(ROOT, 'test'));
  if (all.every(f => ran.has(f))) {
    for (const row of rows) {
      if (!used.has(row.pattern)) problems.push(`README error catalogue row raised by no test: \`${row.pattern}\``);
    }
  }

  if (problems.length > 0) {
    throw new Error(`error catalogue check failed:\n  ${problems.join('\n  ')}`);
  }
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '__snapshots__') out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(ROOT, path));
  }
  return out;
}

function literal(pattern: string): number {
  return pattern.replace(/<[^>]+>|\.\.\./g, '').length;
}
