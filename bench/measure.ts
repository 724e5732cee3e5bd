/**
 * One measurement, in a process of its own so that peak memory belongs to one side:
 * loads one side (library or hand-written), builds N pods into one Chart,
 * synthesizes the app to a temporary directory as `cdk8s synth` does, and prints
 * one JSON line. Run by bench/run.ts from the compiled bench/.build/.
 *
 *   node bench/.build/bench/measure.js <library|hand> <N>
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart } from 'cdk8s';
import { NAMESPACE, SIDES } from './scenario';

const [side, count] = [process.argv[2], Number(process.argv[3])];
if (SIDES[side] === undefined || !Number.isInteger(count) || count <= 0) {
  console.error(`usage: measure.js <${Object.keys(SIDES).join('|')}> <N>`);
  process.exit(2);
}

const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-sidecars-bench-'));
try {
  // Loading the side's modules (cdk8s-plus is already loaded) is timed apart: it is
  // a constant per process, not a cost per pod.
  const loadStart = process.hrtime.bigint();
  const build = SIDES[side]();
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;

  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const app = new App({ outdir });
  const chart = new Chart(app, 'bench', { namespace: NAMESPACE });
  build(chart, count);
  const builtMs = Number(process.hrtime.bigint() - start) / 1e6;
  app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // CPU time (user + system, every thread: GC included) is steadier than wall time on a shared machine.
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1e3;
  // maxRSS is in kilobytes: the process's peak resident set, module loading included.
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ side, count, ms, cpuMs, buildMs: builtMs, synthMs: ms - builtMs, loadMs, rssMiB }));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
