/**
 * The lifecycle benchmark (part of `npm run bench`): the seconds the library's sidecars add
 * to a pod's start, deletion and Job completion, and the requests and limits they add, on
 * the kubelet model of `model.ts` with the tool times of `tools.ts`, next to pods built like
 * Istio's native injection and vault-k8s's. Means over the PLEG relist phase (max in
 * brackets). A benchmark, not a test: it asserts nothing.
 */
import { KubeletParams, overPhases, PodSpecJson, podResources, simulateDelete, simulateJobCompletion, simulateStart } from './model';
import { libraryScenarios, referenceScenarios, Scenario } from './scenarios';
import { TOOLS } from './tools';

interface Figures {
  readonly reference: boolean;
  readonly name: string;
  readonly start: { mean: number; max: number };
  readonly del: { mean: number; max: number };
  readonly job: { mean: number; max: number };
  readonly isJob: boolean;
  readonly resources: string;
}

/** The same pod without the containers of the tool table (sidecars, injected containers), the app's own 30 s grace period. */
export function withoutSidecars(pod: PodSpecJson): PodSpecJson {
  return {
    initContainers: (pod.initContainers ?? []).filter(c => TOOLS[c.name] === undefined),
    containers: pod.containers.filter(c => TOOLS[c.name] === undefined),
    terminationGracePeriodSeconds: 30,
  };
}

function added(s: Scenario, f: (pod: PodSpecJson, p: KubeletParams) => number) {
  const baseline = withoutSidecars(s.pod);
  return overPhases(p => f(s.pod, p) - f(baseline, p));
}

function figures(s: Scenario, reference = false): Figures {
  const r = podResources(s.pod);
  const b = podResources(withoutSidecars(s.pod));
  const limits = r.unlimited.filter(n => TOOLS[n] !== undefined);
  return {
    name: s.name,
    reference,
    isJob: s.job,
    start: added(s, (pod, p) => simulateStart(pod, TOOLS, p).appStart),
    del: added(s, pod => simulateDelete(pod, TOOLS).done),
    job: added(s, (pod, p) => simulateJobCompletion(pod, TOOLS, p).done),
    resources: `${r.cpuRequest - b.cpuRequest}m / ${Math.round(r.memoryRequest - b.memoryRequest)}Mi; limits ${r.cpuLimit - b.cpuLimit}m / ${Math.round(r.memoryLimit - b.memoryLimit)}Mi${limits.length > 0 ? ` (no limit: ${limits.join(', ')})` : ''}`,
  };
}

const sec = (x: { mean: number; max: number }) => Number.isFinite(x.mean) ? `+${x.mean.toFixed(2)} (${x.max.toFixed(2)})` : 'never';
const ratio = (a: number, b: number) => !Number.isFinite(b) ? (Number.isFinite(a) ? '0 (ref. never)' : '–') : b === 0 ? '–' : (a / b).toFixed(2);

export function main(): void {
  const lib = libraryScenarios().map(s => figures(s));
  const [istio, istioVault] = referenceScenarios().map(s => figures(s, true));
  console.log('cdk8s-sidecars lifecycle benchmark: seconds added by the sidecars (mean over the PLEG relist phase, max in brackets),');
  console.log('kubelet model bench/lifecycle/model.ts, tool times bench/lifecycle/tools.ts; app starts at once, stops in 3 s\n');
  const header = ['pod', 'start → app running', 'delete → pod gone', 'Job: main exit → Succeeded', 'requests / limits added (CPU / memory)'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const f of [...lib, istio, istioVault]) {
    console.log(`| ${f.name} | ${sec(f.start)} | ${f.isJob ? '–' : sec(f.del)} | ${f.isJob || f.reference ? sec(f.job) : '–'} | ${f.resources} |`);
  }
  console.log('\nratios (library / reference, means):\n');
  const rh = ['pod', 'start / Istio', 'start / Istio+vault-k8s', 'delete / Istio', 'delete / Istio+vault-k8s', 'Job / Istio', 'Job / Istio+vault-k8s'];
  console.log(`| ${rh.join(' | ')} |`);
  console.log(`| ${rh.map(() => '---').join(' | ')} |`);
  for (const f of lib) {
    console.log(`| ${f.name} | ${ratio(f.start.mean, istio.start.mean)} | ${ratio(f.start.mean, istioVault.start.mean)} | ${f.isJob ? '–' : ratio(f.del.mean, istio.del.mean)} | ${f.isJob ? '–' : ratio(f.del.mean, istioVault.del.mean)} | ${f.isJob ? ratio(f.job.mean, istio.job.mean) : '–'} | ${f.isJob ? ratio(f.job.mean, istioVault.job.mean) : '–'} |`);
  }
  console.log('');
}

if (require.main === module) main();
