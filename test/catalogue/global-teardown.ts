import { existsSync, readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import { catalogue, libraryErrors } from './catalogue';

const ROOT = join(__dirname, '..', '..');

/**
 * After the whole suite: every error the library raised in the tests has a code with a
 * row in the error catalogue (docs/), and its problem text matches one of the row's
 * patterns; every code appears once in the catalogue; and (when every test file ran)
 * every row's code was raised by some test. Fails the run otherwise.
 */
export default function globalTeardown(): void {
  const dir = join(ROOT, 'test-reports', 'error-messages');
  if (!existsSync(dir)) return;
  const records = readdirSync(dir).map(f => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { testPath: string; messages: string[] });
  const rows = catalogue(join(ROOT, 'docs'));

  const problems: string[] = [];
  const byCode = new Map<string, typeof rows[number]>();
  for (const row of rows) {
    if (byCode.has(row.code)) problems.push(`error code ${row.code} has two catalogue rows (${relative(ROOT, byCode.get(row.code)!.file)}, ${relative(ROOT, row.file)})`);
    byCode.set(row.code, row);
  }
  const raisedCodes = new Set<string>();
  const seen = new Set<string>();
  for (const record of records) {
    for (const raised of record.messages) {
      for (const e of libraryErrors(raised)) {
        raisedCodes.add(e.code);
        const key = `${e.code} ${e.problem}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const row = byCode.get(e.code);
        const where = relative(ROOT, record.testPath);
        if (row === undefined) {
          problems.push(`error code ${e.code} is not in the error catalogue (raised in ${where}): ${JSON.stringify(e.problem)}`);
        } else if (!row.patterns.some(p => p.regex.test(e.problem))) {
          problems.push(`${e.code}: no pattern of its catalogue row (${relative(ROOT, row.file)}) matches ${JSON.stringify(e.problem)} (raised in ${where})`);
        }
      }
    }
  }

  const ran = new Set(records.map(r => relative(ROOT, r.testPath)));
  const all = testFiles(join(ROOT, 'test'));
  if (all.every(f => ran.has(f))) {
    for (const row of rows) {
      if (!raisedCodes.has(row.code)) problems.push(`error catalogue code raised by no test: ${row.code} (${relative(ROOT, row.file)})`);
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
