import { parse as parseHcl } from '@cdktf/hcl2json';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse as parseYaml, stringify } from 'yaml';
import { Sidecar, SidecarPlacement, VaultAgentSidecar } from '../src';
import { allContainers, podMetadata, podSpec, validateObject } from './util';
import { promqlProblem } from '../src/_promql';

/**
 * Invariants every synthesized app must hold, whatever the user configured, and
 * the one shape of the library's own errors. Used by the property-based tests.
 */

/** One error of the library: who, what, how to fix it. */
const LIBRARY_ERROR = /^(\[[^\]\n]*\] )?(workload|scope|alerts) '.*'(, (sidecar|alert) '.*')?: .*\. Fix: .*\.$/s;
const VALIDATION_HEADER = 'Validation failed with the following errors:\n  ';

/**
 * Why `e` is not one of the library's documented errors (a plain Error with the
 * `workload '...': problem. Fix: fix.` format, possibly several of them collected
 * by cdk8s validation), or undefined when it is.
 */
export function notALibraryError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return `thrown value is not an Error: ${String(e)}`;
  // A plain Error, not a TypeError or RangeError. (Compared by prototype: the test
  // setup wraps the Error constructor to record messages, test/catalogue/record.ts.)
  if (Object.getPrototypeOf(e) !== Error.prototype) return `${e.constructor.name} instead of a library Error: ${e.stack}`;
  const messages = e.message.startsWith(VALIDATION_HEADER)
    // cdk8s prefixes each validation error with the construct path: "[path] message".
    ? e.message.slice(VALIDATION_HEADER.length).split(/\n {2}(?=\[)/)
    : [e.message];
  for (const message of messages) {
    if (!LIBRARY_ERROR.test(message)) return `not in the library's error format: ${JSON.stringify(message)}\n${e.stack}`;
  }
  return undefined;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const FLUENT_BIT_SECTIONS = ['SERVICE', 'INPUT', 'FILTER', 'OUTPUT', 'PARSER'];

/** What the checks need to know about one workload beyond its manifest. */
export interface WorkloadExpectation {
  readonly workload: kplus.AbstractPod;
  /** The app's own shutdown time in seconds. */
  readonly appShutdownSeconds: number;
}

/**
 * The violations of the invariants in `manifests` (synthesized from an app whose
 * sidecars are `sidecars`): an empty list when everything holds.
 */
export async function violations(manifests: any[], sidecars: Sidecar[], workloads: WorkloadExpectation[]): Promise<string[]> {
  const found: string[] = [];
  const fail = (where: string, what: string) => found.push(`${where}: ${what}`);

  for (const obj of manifests) {
    try {
      validateObject(obj);
    } catch (e) {
      fail(`${obj.kind} ${obj.metadata?.name}`, (e as Error).message);
    }
  }

  const text = stringify(manifests);
  for (const word of ['undefined', 'NaN', '[object Object]']) {
    if (text.includes(word)) fail('manifests', `'${word}' appears in the YAML:\n${text}`);
  }

  // Label and annotation keys (and label values) the API server accepts, on every
  // object and pod template.
  const QUALIFIED = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
  const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
  const metadataOf = (obj: any): any[] => [
    obj.metadata,
    obj.spec?.template?.metadata,
    obj.spec?.jobTemplate?.spec?.template?.metadata,
  ].filter(Boolean);
  for (const obj of manifests) {
    for (const meta of metadataOf(obj)) {
      for (const [kind, map] of [['label', meta.labels], ['annotation', meta.annotations]] as const) {
        for (const [key, value] of Object.entries<string>(map ?? {})) {
          const [prefix, name] = key.includes('/') ? [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)] : ['', key];
          if (!QUALIFIED.test(key) || prefix.length > 253 || name.length > 63) fail(`${obj.kind} ${obj.metadata?.name}`, `${kind} key ${JSON.stringify(key)} is not valid`);
          if (kind === 'label' && (!LABEL_VALUE.test(value) || value.length > 63)) fail(`${obj.kind} ${obj.metadata?.name}`, `label ${key} has the value ${JSON.stringify(value)}`);
        }
      }
    }
  }

  // The PodMonitor scrapes ports that exist, in containers that exist.
  const containers = manifests.filter(m => WORKLOAD_KINDS.includes(m.kind)).flatMap(m => {
    return allContainers(podSpec(m));
  });
  for (const monitor of manifests.filter(m => m.kind === 'PodMonitor')) {
    for (const e of monitor.spec.podMetricsEndpoints ?? []) {
      const keep = (e.relabelings ?? []).find((r: any) => r.action === 'keep')?.regex;
      const c = containers.find(x => x.name === keep);
      if (c === undefined || !(c.ports ?? []).some((p: any) => p.name === e.port)) {
        fail(`PodMonitor ${monitor.metadata.name}`, `endpoint ${e.port} of container ${keep} is not a port of that container`);
      }
    }
  }

  for (const { workload, appShutdownSeconds } of workloads) {
    const name = ApiObject.of(workload).name;
    const manifest = manifests.find(m => WORKLOAD_KINDS.includes(m.kind) && m.metadata?.name === name);
    if (manifest === undefined) {
      fail(workload.node.path, 'no manifest');
      continue;
    }
    const where = `${manifest.kind} ${name}`;
    const spec = podSpec(manifest);
    const mine = sidecars.filter(s => s.workload === workload);
    const sidecarNames = new Set(mine.map(s => s.name));
    const inits: any[] = spec.initContainers ?? [];
    const mains: any[] = spec.containers ?? [];
    const all = [...inits, ...mains];

    // Unique names.
    const names = all.map(c => c.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) fail(where, `two containers are named '${n}'`);
    });
    const volumes: any[] = spec.volumes ?? [];
    const volumeNames = volumes.map(v => v.name);
    volumeNames.forEach((n, i) => {
      if (volumeNames.indexOf(n) !== i) fail(where, `two volumes are named '${n}'`);
    });

    // Every mount has a volume.
    for (const c of all) {
      for (const m of c.volumeMounts ?? []) {
        if (!volumeNames.includes(m.name)) fail(where, `container '${c.name}' mounts '${m.name}', which is not a volume of the pod`);
      }
    }

    // The app never mounts a service-account token meant for an agent; Vault Agent's
    // secrets are on a size-limited memory volume that the app mounts read-only.
    const tokens = volumes.filter(v => (v.projected?.sources ?? []).some((x: any) => x.serviceAccountToken !== undefined)).map(v => v.name);
    for (const c of all.filter(x => !sidecarNames.has(x.name))) {
      for (const m of c.volumeMounts ?? []) {
        if (tokens.includes(m.name)) fail(where, `app container '${c.name}' mounts the token volume '${m.name}'`);
      }
    }
    for (const agent of mine.filter((s): s is VaultAgentSidecar => s instanceof VaultAgentSidecar)) {
      const mount = all.find(c => c.name === agent.name)?.volumeMounts?.find((m: any) => m.mountPath === agent.secretsPath);
      const volume = volumes.find(v => v.name === mount?.name);
      if (volume?.emptyDir?.medium !== 'Memory' || volume.emptyDir.sizeLimit === undefined) {
        fail(where, `the secrets of '${agent.name}' are on ${JSON.stringify(volume)}, not a size-limited memory emptyDir`);
      }
      for (const c of all.filter(x => !sidecarNames.has(x.name))) {
        for (const m of (c.volumeMounts ?? []).filter((x: any) => x.name === mount?.name)) {
          if (m.readOnly !== true) fail(where, `app container '${c.name}' mounts the secrets of '${agent.name}' read-write`);
        }
      }
    }

    // Memory emptyDirs are size-limited.
    for (const v of volumes) {
      if (v.emptyDir?.medium === 'Memory' && v.emptyDir.sizeLimit === undefined) {
        fail(where, `memory emptyDir '${v.name}' has no sizeLimit`);
      }
    }

    // Ports: no collision among running containers that involves a sidecar.
    const running = [...inits.filter(c => c.restartPolicy === 'Always'), ...mains];
    const seen = new Map<string, string>();
    for (const c of running) {
      for (const p of c.ports ?? []) {
        const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`;
        const other = seen.get(key);
        if (other !== undefined && (sidecarNames.has(other) || sidecarNames.has(c.name))) {
          fail(where, `port ${key} is used by both '${other}' and '${c.name}'`);
        }
        if (other === undefined) seen.set(key, c.name);
      }
    }

    // Environment variable names the API server accepts (C identifiers, '-' and '.').
    for (const c of all.filter(x => sidecarNames.has(x.name))) {
      for (const e of c.env ?? []) {
        if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(e.name)) fail(where, `sidecar '${c.name}' has the environment variable ${JSON.stringify(e.name)}`);
      }
    }

    // Every sidecar container meets the restricted Pod Security Standard.
    for (const c of all.filter(x => sidecarNames.has(x.name))) {
      const sc = c.securityContext ?? {};
      const problems = [
        sc.runAsNonRoot !== true && 'runAsNonRoot is not true',
        !(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0) && `runAsUser is ${sc.runAsUser}`,
        sc.allowPrivilegeEscalation !== false && 'allowPrivilegeEscalation is not false',
        !(sc.capabilities?.drop ?? []).includes('ALL') && 'capabilities.drop lacks ALL',
        (sc.capabilities?.add ?? []).length > 0 && 'capabilities are added',
        sc.seccompProfile?.type !== 'RuntimeDefault' && 'seccompProfile is not RuntimeDefault',
        sc.readOnlyRootFilesystem !== true && 'readOnlyRootFilesystem is not true',
        sc.privileged === true && 'privileged',
      ].filter(Boolean);
      for (const p of problems) fail(where, `sidecar '${c.name}': ${p}`);
    }

    // Where each sidecar is: native init containers run with restartPolicy Always,
    // run-once ones without; workloads that run to completion have none in `containers`.
    const completes = manifest.kind === 'Job' || manifest.kind === 'CronJob' || (spec.restartPolicy ?? 'Always') !== 'Always';
    for (const s of mine) {
      const asInit = inits.find(c => c.name === s.name);
      const asMain = mains.find(c => c.name === s.name);
      if ((asInit === undefined) === (asMain === undefined)) {
        fail(where, `sidecar '${s.name}' is ${asInit ? 'in both lists' : 'missing'}`);
        continue;
      }
      const expected = s.placement === SidecarPlacement.CONTAINER ? 'containers' : 'initContainers';
      if ((asMain !== undefined) !== (expected === 'containers')) fail(where, `sidecar '${s.name}' is not in ${expected}`);
      if (asInit !== undefined && (asInit.restartPolicy === 'Always') !== (s.placement === SidecarPlacement.NATIVE_SIDECAR)) {
        fail(where, `init container '${s.name}' has restartPolicy ${asInit.restartPolicy} as a ${s.placement}`);
      }
      if (completes && asMain !== undefined) fail(where, `sidecar '${s.name}' is an ordinary container of a pod that runs to completion`);
    }

    // The grace period covers the app and every running sidecar's budget.
    const budget = mine
      .filter(s => s.placement !== SidecarPlacement.INIT_CONTAINER)
      .reduce((sum, s) => sum + s.shutdownBudget.toSeconds(), appShutdownSeconds);
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (mine.length > 0 && grace < budget) fail(where, `terminationGracePeriodSeconds ${grace} < ${budget} needed`);

    // The injector's annotations match the workload.
    const annotations = podMetadata(manifest)?.annotations;
    const prePopulate = annotations?.['vault.hashicorp.com/agent-pre-populate-only'];
    if (prePopulate !== undefined && prePopulate !== String(completes)) {
      fail(where, `agent-pre-populate-only is ${prePopulate} on a workload that ${completes ? 'completes' : 'runs forever'}`);
    }
  }

  // Generated configs parse, and hold exactly the sections / listeners / blocks asked for.
  for (const cm of manifests.filter(m => m.kind === 'ConfigMap')) {
    const where = `ConfigMap ${cm.metadata.name}`;
    for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
      try {
        if (key === 'envoy.yaml') {
          const doc = parseYaml(value);
          const listeners = (doc?.static_resources?.listeners ?? []).map((l: any) => l.name).join(',');
          if (listeners !== 'inbound,outbound,stats') fail(where, `envoy.yaml has the listeners ${listeners}`);
        } else if (key.endsWith('.hcl')) {
          const doc: any = await parseHcl(key, value);
          if (doc.listener !== undefined && key === 'agent-init.hcl') fail(where, `${key} has a listener`);
          if ((doc.auto_auth ?? []).length !== 1 || (doc.vault ?? []).length !== 1) fail(where, `${key} has other than one vault and auto_auth block`);
        } else if (key === 'fluent-bit.conf' || key === 'parsers.conf') {
          for (const line of value.split('\n')) {
            if (line === '') continue;
            const section = /^\[([A-Z_]+)\]$/.exec(line);
            if (section !== null) {
              if (!FLUENT_BIT_SECTIONS.includes(section[1])) fail(where, `unknown section ${line}`);
              continue;
            }
            if (!/^ {4}[A-Za-z][A-Za-z0-9_.-]* +\S(.*\S)?$/.test(line) || /@(INCLUDE|SET)/i.test(line)) {
              fail(where, `${key} has the line ${JSON.stringify(line)}`);
            }
          }
        }
      } catch (e) {
        fail(where, `${key} does not parse: ${(e as Error).message}`);
      }
    }
  }

  // Alert expressions parse.
  for (const rule of manifests.filter(m => m.kind === 'PrometheusRule')) {
    for (const group of rule.spec.groups) {
      for (const r of group.rules) {
        // Prometheus's lezer grammar, through the library's check (src/_promql.ts).
        const problem = promqlProblem(String(r.expr));
        if (problem !== undefined) fail(`PrometheusRule ${rule.metadata.name}, alert ${r.alert}`, problem);
      }
    }
  }

  return found;
}
