/**
 * `npm run bench`: the library against the same pods written by hand with
 * cdk8s-plus-28, alternating the two sides in one run, several rounds per N.
 * Prints wall time (construction + synth, to disk), CPU time (steadier than wall
 * time on a shared machine) and peak RSS per side (medians),
 * the ratio library / hand, and the time per pod at each N. A benchmark, not a
 * test: it asserts nothing.
 *
 * First, the lifecycle benchmark (bench/lifecycle/): what the sidecars the library
 * synthesizes add to a pod's start, deletion and Job completion on a model of the
 * kubelet, next to Istio's native injection and vault-k8s.
 *
 * Options (environment): BENCH_SIZES=100,1000,5000  BENCH_ROUNDS=5
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { join } from 'path';
import { main as lifecycle } from './lifecycle/run';

interface Sample {
  readonly ms: number;
  readonly cpuMs: number;
  readonly buildMs: number;
  readonly synthMs: number;
  readonly loadMs: number;
  readonly rssMiB: number;
}

const sizes = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? '5');
const sides = ['library', 'hand'];

function measure(side: string, count: number): Sample {
  const out = execFileSync(process.execPath, [
    '--max-old-space-size=8192',
    join(__dirname, 'measure.js'), side, String(count),
  ], { encoding: 'utf8' });
  const last = out.trim().split('\n').pop()!;
  return JSON.parse(last);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (x: number, digits = 0) => x.toFixed(digits);

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find(l => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

lifecycle();

console.log(`cdk8s-sidecars synth benchmark: node ${process.version}, ${cpus().length} x ${cpuModel()}, ${fmt(totalmem() / 2 ** 30)} GiB`);
console.log(`sizes ${sizes.join(', ')}; ${rounds} rounds each, sides alternating; one process per measurement\n`);

// Warm the disk cache for both sides.
for (const side of sides) measure(side, 10);

const rows: string[][] = [];
for (const n of sizes) {
  const samples: { [side: string]: Sample[] } = { library: [], hand: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const s = measure(side, n);
      samples[side].push(s);
      console.log(`  N=${n} round ${r + 1} ${side.padEnd(7)} ${fmt(s.ms).padStart(7)} ms, CPU ${fmt(s.cpuMs).padStart(7)} ms (build ${fmt(s.buildMs)}, synth ${fmt(s.synthMs)}, load ${fmt(s.loadMs)}) ${fmt(s.rssMiB).padStart(6)} MiB`);
    }
  }
  const m = (side: string, key: keyof Sample) => median(samples[side].map(s => s[key]));
  rows.push([
    String(n),
    fmt(m('library', 'ms')), fmt(m('hand', 'ms')), fmt(m('library', 'ms') / m('hand', 'ms'), 2),
    fmt(m('library', 'cpuMs')), fmt(m('hand', 'cpuMs')), fmt(m('library', 'cpuMs') / m('hand', 'cpuMs'), 2),
    fmt(m('library', 'rssMiB')), fmt(m('hand', 'rssMiB')), fmt(m('library', 'rssMiB') / m('hand', 'rssMiB'), 2),
    fmt(1000 * m('library', 'ms') / n, 0), fmt(1000 * m('hand', 'ms') / n, 0),
  ]);
}

const header = ['N', 'lib ms', 'hand ms', 'time ratio', 'lib CPU ms', 'hand CPU ms', 'CPU ratio', 'lib MiB', 'hand MiB', 'RSS ratio', 'lib µs/pod', 'hand µs/pod'];
console.log('\nmedians (library / hand-written; ms = wall time of construction + synth to disk, module loading excluded;');
console.log('CPU ms = user + system time of the same; MiB = peak RSS; µs/pod from the wall time):\n');
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
