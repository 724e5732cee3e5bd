import { spawn } from 'child_process';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { SidecarSpec } from '../src/core/sidecar';
import { NamedSidecarProps, SpecContext, specContext } from '../src/core/spec';

/**
 * Test helpers: synthesize a chart and validate every object against the upstream
 * Kubernetes OpenAPI schema (kubernetes-models 4.x validators). Every test that
 * synthesizes goes through `synth()`.
 */

const MODEL_PACKAGES: { [apiGroup: string]: string } = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelFor(apiVersion: string, kind: string): any {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const pkg = MODEL_PACKAGES[group] ?? 'kubernetes-models';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const models = require(`${pkg}/${apiVersion}`);
  const model = models[kind];
  if (model === undefined) {
    throw new Error(`no schema model for ${apiVersion} ${kind}: add its validator package to test/util.ts`);
  }
  return model;
}

/** Throws when `obj` is not valid against its upstream schema. */
export function validateObject(obj: any): void {
  const Model = modelFor(obj.apiVersion, obj.kind);
  try {
    new Model(obj).validate();
  } catch (e) {
    throw new Error(`${obj.kind} '${obj.metadata?.name}' is not valid against the upstream schema: ${(e as Error).message}`);
  }
}

/** Synthesizes `chart`, validates every object, and returns the manifests. */
export function synth(chart: Chart): any[] {
  const manifests = Testing.synth(chart);
  for (const obj of manifests) validateObject(obj);
  return manifests;
}

/** A chart in a fresh app, with the namespace the seeds use. */
export function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'production' });
}

/** The pod spec of a synthesized workload manifest. */
export function podSpec(obj: any): any {
  switch (obj.kind) {
    case 'Pod': return obj.spec;
    case 'CronJob': return obj.spec.jobTemplate.spec.template.spec;
    default: return obj.spec.template.spec;
  }
}

/** The pod's metadata in a synthesized workload manifest (a Pod's own, else its template's). */
export function podMetadata(obj: any): any {
  switch (obj.kind) {
    case 'Pod': return obj.metadata;
    case 'CronJob': return obj.spec.jobTemplate.spec.template.metadata;
    default: return obj.spec.template.metadata;
  }
}

/** Every container of a pod spec, init containers first. */
export function allContainers(spec: any): any[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** The manifest of `kind` (and `name` prefix) in `manifests`. */
export function find(manifests: any[], kind: string, namePrefix = ''): any {
  const found = manifests.filter(m => m.kind === kind && (m.metadata?.name ?? '').startsWith(namePrefix));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} named '${namePrefix}*', found ${found.length}`);
  }
  return found[0];
}

/** Container names of a pod spec, init containers first, as `init:name` / `name`. */
export function containerOrder(spec: any): string[] {
  return [
    ...(spec.initContainers ?? []).map((c: any) => `init:${c.name}`),
    ...spec.containers.map((c: any) => c.name),
  ];
}

/** The container named `name` of a pod spec (init or main). */
export function container(spec: any, name: string): any {
  const c = allContainers(spec).find((x: any) => x.name === name);
  if (c === undefined) throw new Error(`no container '${name}'`);
  return c;
}

/** An app Deployment like the seeds' `myapp`. */
export function webDeployment(chart: Chart, id = 'web'): kplus.Deployment {
  return new kplus.Deployment(chart, id, {
    containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }],
  });
}

/**
 * A named sidecar's spec, computed the way the sidecar computes it, and proof that the
 * spec function is pure: no construct is created.
 */
export function pureSpec<P extends NamedSidecarProps>(chart: Chart, props: P, name: string,
  spec: (props: P, context: SpecContext) => SidecarSpec): SidecarSpec {
  const before = chart.node.findAll().length;
  const result = spec(props, specContext(chart, props, name));
  expect(chart.node.findAll().length).toBe(before);
  return result;
}

/**
 * Runs a hook's command with the machine's own shell (the oracle of what a hook does),
 * in `cwd`, and resolves with its exit code and stderr.
 */
export function runCommand(command: string[], cwd?: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(command[0], command.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => { stderr += String(d); });
    child.on('close', code => resolve({ code, stderr }));
  });
}
