import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import * as ts from 'typescript';

/**
 * Every TypeScript block of README.md and docs/ compiles, with the TypeScript compiler
 * (the check jsii-rosetta's strict mode makes), against the library's own source under
 * its package name, in `rosetta/default.ts-fixture` (the jsii-rosetta convention): the
 * block's imports above the fixture, the rest in place of its marker, in a scope of its
 * own; the fixture declares the names snippets use without declaring them (`app`,
 * `chart`, `web`, `worker`).
 */

const ROOT = join(__dirname, '..');
const FIXTURE = readFileSync(join(ROOT, 'rosetta', 'default.ts-fixture'), 'utf8');

interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out.sort();
}

function blocks(): Block[] {
  const found: Block[] = [];
  for (const file of markdownFiles()) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
      found.push({ file: relative(ROOT, file), line: start + 1, code: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return found;
}

function diagnostics(all: Block[]): Map<Block, string[]> {
  const sources = new Map<string, Block>();
  const texts = new Map<string, string>();
  all.forEach((b, i) => {
    const lines = b.code.split('\n');
    // Import statements (possibly over several lines) go to the top.
    let cut = 0;
    for (let j = 0; j < lines.length; j++) {
      if (/^\s*import\s/.test(lines[j])) {
        while (j < lines.length && !/;\s*$/.test(lines[j])) j++;
        cut = j + 1;
      } else if (lines[j].trim() !== '' && !lines[j].trim().startsWith('//')) {
        break;
      }
    }
    const imports = lines.slice(0, cut).join('\n');
    const body = lines.slice(cut).join('\n');
    const name = join(ROOT, '.docs-check', `block${i}.ts`);
    sources.set(name, b);
    texts.set(name, `${imports}\n${FIXTURE.replace('/// here', () => `{\n${body}\n}`)}`);
  });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    strict: true,
    esModuleInterop: true,
    noEmit: true,
    skipLibCheck: true,
    baseUrl: ROOT,
    paths: { 'cdk8s-sidecars': ['src/index.ts'] },
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => texts.get(name) ?? read(name);
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => texts.has(name) || exists(name);
  const program = ts.createProgram([...texts.keys()], options, host);
  const out = new Map<Block, string[]>();
  for (const [name, block] of sources) {
    const sf = program.getSourceFile(name)!;
    const messages = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
      .map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    out.set(block, messages);
  }
  return out;
}

describe('the TypeScript blocks of README.md and docs/', () => {
  const all = blocks();
  const results = diagnostics(all);

  test('there are blocks to check', () => {
    expect(all.filter(b => b.file === 'README.md').length).toBeGreaterThan(2);
  });

  test.each(all.map(b => [`${b.file}:${b.line}`, b] as const))('%s compiles', (_where, block) => {
    expect(results.get(block)).toEqual([]);
  });
});
