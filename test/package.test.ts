import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { dirname, join, normalize } from 'path';

/**
 * The npm package holds what a consumer needs and nothing else, read from npm's own
 * packing (`npm pack --dry-run --json`), not from the project's ignore rules: the
 * compiled library with its types and jsii assembly, the sources its source maps name,
 * the docs a registry page shows, and the bundled dependencies.
 */

const ROOT = join(__dirname, '..');

describe('the npm package', () => {
  // GIVEN the compiled library (CI compiles before testing)
  const compiled = existsSync(join(ROOT, 'lib', 'index.js'));
  const files: string[] = compiled ? packedFiles() : [];

  test('the library is compiled (run `npx projen compile` first)', () => {
    expect(compiled).toBe(true);
  });

  test('holds only the library, its sources and docs, and the bundled dependencies', () => {
    const top = [...new Set(files.map(f => f.split('/')[0]))].sort();
    expect(top).toEqual(['.jsii', 'API.md', 'LICENSE', 'README.md', 'lib', 'node_modules', 'package.json', 'src']);
    // Nothing of the repository's tooling, tests or examples.
    for (const path of files) {
      expect(path).not.toMatch(/^(\.ci|test|bench|examples|docs|crds|projenrc|\.projen)\//);
      expect(path).not.toMatch(/\.test\.ts$|tsconfig|\.tsbuildinfo$|^cdk8s\.yaml$/);
    }
  });

  test('the bundled node_modules are the bundled dependencies and what they need', () => {
    // WHEN the closure of bundledDependencies is computed from the installed packages
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const closure = new Set<string>();
    const visit = (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      const deps = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).dependencies ?? {};
      Object.keys(deps).forEach(visit);
    };
    (pkg.bundledDependencies as string[]).forEach(visit);
    // THEN the packed node_modules are exactly those packages
    const packed = new Set(files.filter(f => f.startsWith('node_modules/'))
      .map(f => f.split('/')).map(p => (p[1].startsWith('@') ? `${p[1]}/${p[2]}` : p[1])));
    expect([...packed].sort()).toEqual([...closure].sort());
  });

  test('every compiled module has its types, and its source map names shipped files', () => {
    const shipped = new Set(files);
    const modules = files.filter(f => f.startsWith('lib/') && f.endsWith('.js'));
    expect(modules).toContain('lib/index.js');
    for (const js of modules) {
      expect(shipped.has(js.replace(/\.js$/, '.d.ts'))).toBe(true);
      const text = readFileSync(join(ROOT, js), 'utf8');
      const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
      expect(m).not.toBeNull();
      const map = JSON.parse(Buffer.from(m![1], 'base64').toString('utf8'));
      for (const source of map.sources as string[]) {
        const path = normalize(join(dirname(js), map.sourceRoot ?? '', source)).split('\\').join('/');
        expect(shipped.has(path) ? path : `${js} names ${path}, which is not in the package`).toBe(path);
      }
    }
  });
});

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(out)[0].files as Array<{ path: string }>).map(f => f.path);
}
