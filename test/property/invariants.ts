import { isDeepStrictEqual } from 'util';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse as parseYaml, stringify } from 'yaml';
import { Sidecar, SidecarPlacement, VaultAgentSidecar } from '../../src';
import { SidecarError } from '../../src/core/errors';
import { decodeHcl1, inHcl1Shape } from '../sidecars/vault-agent/hcl1';
import { allContainers, podMetadata, podSpec, validateObject } from '../util';

// Prometheus's own grammar, used directly: any error node in the tree means the
// expression is not valid PromQL. (Not the library's wrapper around it.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser: promqlParser } = require('@prometheus-io/lezer-promql');

/**
 * Invariants every synthesized app must hold, whatever the user configured, and
 * the one shape of the library's own errors. Used by the property-based tests.
 *
 * None of these checks asks the library whether its output is right: they use
 * real parsers (yaml, hcl2json and HCL 1 as Vault Agent reads it, Prometheus's lezer grammar), the upstream schemas
 * (kubernetes-models) and rules written from the Kubernetes source.
 */

/**
 * One line of a library error: `[CODE] who '<path>'[, part '<name>']: problem. Fix: fix.`
 * (docs/errors.md). Written here from the documented format, not taken from the library.
 */
const LIBRARY_LINE = /^\[([A-Z][A-Z0-9_]*)\] (workload|scope|alerts|alert pack|construct) '.*'(, (sidecar|alert) '.*')?: .*\. Fix: .*\.$/s;
/** cdk8s's "Validation failed" error: a header, then `[construct path] message` per error. */
const VALIDATION_HEADER = 'Validation failed with the following errors:\n  ';

/**
 * Why `e` is not one of the library's documented errors, or undefined when it is.
 * A library error is a `SidecarError` (prototype chain SidecarError -> Error, with a
 * `code` matching the `[CODE]` of its one line), or cdk8s's plain "Validation failed"
 * Error whose every line is a library line. A TypeError, RangeError, an Error of
 * another shape, or a line without its `[CODE]` is not.
 */
export function notALibraryError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return `thrown value is not an Error: ${String(e)}`;
  // Compared by prototype, not instanceof: a TypeError is an instanceof Error too. (The
  // test setup wraps the Error constructor, test/catalogue/record.ts; prototypes are kept.)
  const proto = Object.getPrototypeOf(e);
  if (proto === SidecarError.prototype && Object.getPrototypeOf(proto) === Error.prototype) {
    const code = LIBRARY_LINE.exec(e.message)?.[1];
    if (code === undefined) return `a SidecarError not in the library's error format: ${JSON.stringify(e.message)}\n${e.stack}`;
    if ((e as SidecarError).code !== code) return `SidecarError.code '${(e as SidecarError).code}' is not the [${code}] of its message`;
    return undefined;
  }
  if (proto !== Error.prototype) return `${e.constructor.name} instead of a library error: ${e.stack}`;
  if (!e.message.startsWith(VALIDATION_HEADER)) return `a plain Error that is not cdk8s's validation error: ${JSON.stringify(e.message)}\n${e.stack}`;
  const lines = e.message.slice(VALIDATION_HEADER.length).split(/\n {2}(?=\[)/);
  for (const line of lines) {
    // cdk8s prefixes each validation error with the construct path: "[path] message".
    const message = line.replace(/^\[[^\]\n]*\] /, '');
    if (message === line || !LIBRARY_LINE.test(message)) return `not in the library's error format: ${JSON.stringify(line)}\n${e.stack}`;
  }
  return undefined;
}

/**
 * Kubernetes' own rule for environment variable names, written from
 * k8s.io/apimachinery/pkg/util/validation/validation.go, `IsEnvVarName`: the name
 * matches `envVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*"` and `hasChDirPrefix` finds
 * nothing (not ".", not "..", not starting with ".."). This is the strict rule of every
 * API server without the RelaxedEnvironmentVariableValidation gate (1.28 to 1.31 by
 * default), the clusters the library targets.
 */
export function isKubernetesEnvName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name) && name !== '.' && !name.startsWith('..');
}

/** Where Prometheus's grammar finds an error in `expr`, or undefined when it parses. */
export function promqlSyntaxError(expr: string): string | undefined {
  let at: number | undefined;
  promqlParser.parse(expr).iterate({
    enter: (node: { type: { isError: boolean }; from: number }) => {
      if (at === undefined && node.type.isError) at = node.from;
      return at === undefined ? undefined : false;
    },
  });
  return at === undefined ? undefined : `${JSON.stringify(expr)} does not parse as PromQL (error at character ${at})`;
}

/**
 * Config digests seen so far, across every case of a property run: one ConfigMap
 * content has one digest, and two contents never share one. (The rollout annotation
 * must change exactly when the files change.) The data is the rendered ConfigMap's,
 * so the check does not depend on how the library computes the digest.
 */
export class DigestLedger {
  private readonly byData = new Map<string, string>();
  private readonly byDigest = new Map<string, string>();

  /** Records that `data` rolled out with `digest`; the problems, if any. */
  public record(data: { [key: string]: string }, digest: string): string[] {
    const key = JSON.stringify(Object.keys(data).sort().map(k => [k, data[k]]));
    const problems: string[] = [];
    const known = this.byData.get(key);
    if (known !== undefined && known !== digest) problems.push(`the same config files have the digests ${known} and ${digest}: ${key}`);
    const other = this.byDigest.get(digest);
    if (other !== undefined && other !== key) problems.push(`different config files share the digest ${digest}: ${other} and ${key}`);
    this.byData.set(key, digest);
    this.byDigest.set(digest, key);
    return problems;
  }
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const FLUENT_BIT_SECTIONS = ['SERVICE', 'INPUT', 'FILTER', 'OUTPUT', 'PARSER'];
const ROLLOUT_PREFIX = 'config.cdk8s-sidecars.io/';

/** What the checks need to know about one workload beyond its manifest. */
export interface WorkloadExpectation {
  readonly workload: kplus.AbstractPod;
  /** The app's own shutdown time in seconds. */
  readonly appShutdownSeconds: number;
}

/**
 * The violations of the invariants in `manifests` (synthesized from an app whose
 * sidecars are `sidecars`, every chart of it): an empty list when everything holds.
 * `digests` carries the config digests seen in earlier cases.
 */
export async function violations(manifests: any[], sidecars: Sidecar[], workloads: WorkloadExpectation[],
  digests = new DigestLedger()): Promise<string[]> {
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
    // The sidecars' containers: their own and their companions (everything else is the app's).
    const sidecarNames = new Set(mine.flatMap(s => [s.name, ...s.companions.map(c => c.name)]));
    const inits: any[] = spec.initContainers ?? [];
    const mains: any[] = spec.containers ?? [];
    const all = [...inits, ...mains];

    // Unique names (container names only where the library added containers: a pod with
    // just the injector's annotations is the user's own).
    const names = mine.length > 0 ? all.map(c => c.name) : [];
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

    // Mount paths are unique per container, init and main (the API server refuses
    // two mounts at one path: ValidateVolumeMounts, "must be unique").
    for (const c of all) {
      const paths = new Map<string, string>();
      for (const m of c.volumeMounts ?? []) {
        const other = paths.get(m.mountPath);
        if (other !== undefined) fail(where, `container '${c.name}' mounts both '${other}' and '${m.name}' at '${m.mountPath}'`);
        paths.set(m.mountPath, m.name);
      }
    }

    // Every ConfigMap (and Secret) the pod mounts, when it is an object of this app, is in
    // the pod's namespace: a pod can mount no other. Imported ones (no manifest) are
    // the user's to place.
    const mounted = volumes.flatMap((v: any) => [
      ...(v.configMap?.name !== undefined ? [{ kind: 'ConfigMap', name: v.configMap.name }] : []),
      ...(v.secret?.secretName !== undefined ? [{ kind: 'Secret', name: v.secret.secretName }] : []),
      ...(v.projected?.sources ?? []).flatMap((s: any) => [
        ...(s.configMap?.name !== undefined ? [{ kind: 'ConfigMap', name: s.configMap.name }] : []),
        ...(s.secret?.name !== undefined ? [{ kind: 'Secret', name: s.secret.name }] : []),
      ]),
    ]);
    for (const ref of mounted) {
      const objects = manifests.filter(m => m.kind === ref.kind && m.metadata?.name === ref.name);
      if (objects.length > 0 && !objects.some(o => o.metadata.namespace === manifest.metadata.namespace)) {
        fail(where, `the pod (namespace ${manifest.metadata.namespace ?? '(none)'}) mounts ${ref.kind} '${ref.name}', which is in namespace ${objects.map(o => o.metadata.namespace ?? '(none)').join(', ')}`);
      }
    }

    // Every object a sidecar creates (its ConfigMap, a Service for Envoy, ...) is in the
    // pod's namespace too, wherever the sidecar was created.
    for (const s of mine) {
      for (const obj of s.node.findAll().filter(ApiObject.isApiObject)) {
        const rendered = manifests.find(m => m.kind === obj.kind && m.metadata?.name === obj.name);
        if (rendered !== undefined && rendered.metadata.namespace !== manifest.metadata.namespace) {
          fail(where, `${obj.kind} '${obj.name}' of sidecar '${s.name}' is in namespace ${rendered.metadata.namespace ?? '(none)'}, not the pod's (${manifest.metadata.namespace ?? '(none)'})`);
        }
      }
    }

    // Every sidecar with config files rolls the pods when they change: the pod template
    // has `config.cdk8s-sidecars.io/<name>` equal to its digest, one content has one
    // digest and two contents never share one (across every case of the run). Every
    // such annotation belongs to a sidecar of this pod that has config files.
    const annotations: { [key: string]: string } = podMetadata(manifest)?.annotations ?? {};
    for (const s of mine.filter(x => x.configMap !== undefined)) {
      const digest = annotations[`${ROLLOUT_PREFIX}${s.name}`];
      if (digest === undefined || digest === '' || digest !== s.configDigest) {
        fail(where, `sidecar '${s.name}' has config files, and the pod annotation ${ROLLOUT_PREFIX}${s.name} is ${JSON.stringify(digest)}, not its digest ${JSON.stringify(s.configDigest)}`);
        continue;
      }
      const configMap = manifests.find(m => m.kind === 'ConfigMap' && m.metadata?.name === s.configMap!.name);
      if (configMap === undefined) {
        fail(where, `the ConfigMap '${s.configMap!.name}' of sidecar '${s.name}' is not among the manifests`);
        continue;
      }
      for (const problem of digests.record(configMap.data ?? {}, digest)) fail(where, `sidecar '${s.name}': ${problem}`);
    }
    for (const key of Object.keys(annotations).filter(k => k.startsWith(ROLLOUT_PREFIX))) {
      const owner = key.slice(ROLLOUT_PREFIX.length);
      if (!mine.some(s => s.name === owner && s.configMap !== undefined)) fail(where, `the annotation ${key} belongs to no sidecar of the pod with config files`);
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
      const mount = all.find(c => c.name === agent.name)?.volumeMounts?.find((m: any) => m.mountPath === agent.secretsDir);
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

    // Environment variable names the API server accepts, in every container (the
    // sidecars set variables on the app containers too).
    for (const c of all) {
      for (const e of c.env ?? []) {
        if (!isKubernetesEnvName(e.name)) fail(where, `container '${c.name}' has the environment variable ${JSON.stringify(e.name)}`);
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
      // Companions run once, as init containers.
      for (const companion of s.companions) {
        const c = inits.find(x => x.name === companion.name);
        if (c === undefined || c.restartPolicy !== undefined) fail(where, `companion '${companion.name}' of '${s.name}' is not a run-once init container`);
      }
    }

    // The grace period covers the app and every running sidecar's budget: after the app,
    // but a sidecar that stops with the app only alongside it. Which ones do is read from
    // the manifest, as the kubelet sees it: a native sidecar (restartPolicy Always) whose
    // preStop hook signals the tool itself (`kill -TERM 1`) stops at the deletion's start.
    const runningSidecars = mine.filter(s => s.placement !== SidecarPlacement.INIT_CONTAINER);
    const signalsItself = (container: string) => {
      const c = inits.find(x => x.name === container);
      return c?.restartPolicy === 'Always' && isDeepStrictEqual(c.lifecycle?.preStop?.exec?.command, ['sh', '-c', 'kill -TERM 1']);
    };
    const withApp = runningSidecars.filter(s => signalsItself(s.name));
    const budget = runningSidecars
      .filter(s => !withApp.includes(s))
      .reduce((sum, s) => sum + s.shutdownBudget.toSeconds(), appShutdownSeconds);
    const needed = Math.max(budget, ...withApp.map(s => s.shutdownBudget.toSeconds()));
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (mine.length > 0 && grace < needed) fail(where, `terminationGracePeriodSeconds ${grace} < ${needed} needed`);
    // A sidecar stops with the app only in NATIVE mode, by a preStop hook of its own.
    for (const s of runningSidecars.filter(x => x.stopsWithApp)) {
      const c = inits.find(x => x.name === s.name);
      if (s.placement !== SidecarPlacement.NATIVE_SIDECAR || c?.lifecycle?.preStop?.exec === undefined) {
        fail(where, `sidecar '${s.name}' stops with the app without a native preStop hook`);
      }
    }

    // The injector's annotations match the workload.
    const prePopulate = annotations['vault.hashicorp.com/agent-pre-populate-only'];
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
          // HCL 1, which the agent reads, decodes the same values.
          if (!isDeepStrictEqual(decodeHcl1(value), inHcl1Shape(doc))) fail(where, `${key} decodes differently in HCL 1, which the agent reads`);
          if (doc.listener !== undefined && key === 'agent-init.hcl') fail(where, `${key} has a listener`);
          if ((doc.auto_auth ?? []).length !== 1 || (doc.vault ?? []).length !== 1) fail(where, `${key} has other than one vault and auto_auth block`);
        } else if (key.endsWith('.yaml') || key.endsWith('.yml')) {
          parseYaml(value);
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

  // Alert expressions parse with Prometheus's grammar.
  for (const rule of manifests.filter(m => m.kind === 'PrometheusRule')) {
    for (const group of rule.spec.groups) {
      for (const r of group.rules) {
        const problem = promqlSyntaxError(String(r.expr));
        if (problem !== undefined) fail(`PrometheusRule ${rule.metadata.name}, alert ${r.alert}`, problem);
      }
    }
  }

  return found;
}
