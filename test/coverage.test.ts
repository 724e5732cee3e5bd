import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { Sidecar } from '../src';

/**
 * Adding a sidecar touches more than its folder: it must be in the property tests and
 * in the docs. These tests fail when an exported sidecar is missing from either.
 *
 * The sidecars: every class exported by src/index.ts that extends `Sidecar`.
 * The lists read:
 * - PROPERTY TESTS: test/property/property.test.ts, which must construct it (`new <Class>(`);
 * - DOCS: docs/sidecars/*.md, one of which must name it, and docs/adding-a-sidecar.md.
 */

const ROOT = join(__dirname, '..');
const PROPERTY_TESTS = join(ROOT, 'test', 'property', 'property.test.ts');
const SIDECAR_DOCS = join(ROOT, 'docs', 'sidecars');
const ADDING_A_SIDECAR = join(ROOT, 'docs', 'adding-a-sidecar.md');

/** The names of the exported classes that extend Sidecar. */
function exportedSidecars(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported: unknown[] = Object.values(require('../src'));
  return exported
    .filter((x): x is Function => typeof x === 'function' && x.prototype instanceof Sidecar)
    .map(c => c.name)
    .sort();
}

describe('every exported sidecar', () => {
  const sidecars = exportedSidecars();

  test('the exported sidecars are found', () => {
    // GIVEN / WHEN the classes exported by src/index.ts that extend Sidecar
    // THEN the named sidecars are among them (so the checks below are not vacuous)
    expect(sidecars).toEqual(expect.arrayContaining(['EnvoySidecar', 'FluentBitSidecar', 'ReloaderSidecar', 'StatsdExporterSidecar', 'VaultAgentSidecar']));
  });

  test('is in the property tests (list: test/property/property.test.ts)', () => {
    // GIVEN the property tests
    const text = readFileSync(PROPERTY_TESTS, 'utf8');
    // WHEN each sidecar is looked for as a construction
    const missing = sidecars.filter(name => !text.includes(`new ${name}(`));
    // THEN none is missing: add a generator and a builder for it there
    expect(missing).toEqual([]);
  });

  test('is in the docs (list: docs/sidecars/*.md), and docs/adding-a-sidecar.md exists', () => {
    // GIVEN the sidecar pages of the docs
    const pages = existsSync(SIDECAR_DOCS) ? readdirSync(SIDECAR_DOCS).filter(f => f.endsWith('.md')) : [];
    const text = pages.map(f => readFileSync(join(SIDECAR_DOCS, f), 'utf8')).join('\n');
    // WHEN each sidecar is looked for by its class name
    const missing = sidecars.filter(name => !new RegExp(`\\b${name}\\b`).test(text));
    // THEN none is missing, and the guide to adding one exists
    expect(missing).toEqual([]);
    expect(existsSync(ADDING_A_SIDECAR)).toBe(true);
  });
});
