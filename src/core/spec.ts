import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { runsToCompletion } from './_pod';
import { recordSpec, SpecCache, specKey } from './_spec-cache';
import { Checks } from './checks';
import { Fail, failFor, workloadSubject } from './errors';
import { Sidecar, SidecarMode, SidecarOptions, SidecarProps, SidecarSpec } from './sidecar';

/**
 * Internal: how a named sidecar becomes a spec. Nothing here is exported from the package.
 *
 * A named sidecar is a pure function from its props (and this context) to a
 * `SidecarSpec`; its construct only calls `namedSidecarProps()` in `super()`. The
 * function can be tested without constructs: pass a context made by `specContext()`.
 */

/** What a spec function may know besides its props. */
export interface SpecContext {
  /** The container name. */
  readonly name: string;
  /** The mode the sidecar will have. */
  readonly mode: SidecarMode;
  /** The workload's pods are meant to finish (Job, CronJob, restartPolicy Never/OnFailure). */
  readonly runsToCompletion: boolean;
  /** The workload's namespace, if set. */
  readonly namespace?: string;
  /** Raises an error about this workload and sidecar. */
  readonly fail: Fail;
  /** The checks vocabulary, raising through `fail`. */
  readonly checks: Checks;
}

/** The props every named sidecar has. */
export interface NamedSidecarProps extends SidecarOptions {
  readonly workload: kplus.AbstractPod;
}

/** The context of a sidecar named `name` (the default name unless the props choose one), created in `scope`. */
export function specContext(scope: IConstruct, props: NamedSidecarProps, defaultName: string): SpecContext {
  const name = props.name ?? defaultName;
  const fail = failFor(workloadSubject(props.workload, name));
  return {
    name,
    mode: props.mode ?? Sidecar.defaultModeOf(scope),
    runsToCompletion: runsToCompletion(props.workload),
    namespace: props.workload.metadata.namespace,
    fail,
    checks: new Checks(fail),
  };
}

/**
 * A `stopWithAppCommand` for a tool that runs as PID 1 of its container and handles SIGTERM,
 * in an image with a shell: the shell's builtin `kill` signals PID 1 and the hook returns at
 * once, before the tool has exited.
 */
export const SIGTERM_PID_1: string[] = ['sh', '-c', 'kill -TERM 1'];

/** Every field of `SidecarProps`, required: the compiler refuses a literal that forgets one. */
type AllSidecarProps = { readonly [K in keyof Required<SidecarProps>]: SidecarProps[K] };

/** The props of the core `Sidecar`: the user's options and the spec of the named sidecar. */
export function namedSidecarProps<P extends NamedSidecarProps>(scope: IConstruct, props: P, defaultName: string,
  spec: (props: P, context: SpecContext) => SidecarSpec): SidecarProps {
  const context = specContext(scope, props, defaultName);
  // The same props in the same context give the same spec: computed once, shared.
  const s = SPECS.get(spec, keyOf(props, context), () => spec(props, context));
  // One literal with every field, not `{ ...spec, workload, ... }`: V8 (Node.js 20) takes
  // a slow path for each property added after a spread, and Object.assign turns an object
  // this large into a dictionary (docs/benchmark.md). The type lists every field.
  const all: AllSidecarProps = {
    image: s.image,
    imageUser: s.imageUser,
    imageGroup: s.imageGroup,
    kind: s.kind,
    profile: s.profile,
    command: s.command,
    args: s.args,
    ports: s.ports,
    envVariables: s.envVariables,
    appEnvVariables: s.appEnvVariables,
    appPorts: s.appPorts,
    metrics: s.metrics,
    startup: s.startup,
    readiness: s.readiness,
    liveness: s.liveness,
    startupCommand: s.startupCommand,
    stopWithAppCommand: s.stopWithAppCommand,
    preStop: s.preStop,
    preStopBudget: s.preStopBudget,
    shutdownBudget: s.shutdownBudget,
    writablePaths: s.writablePaths,
    writableSizeLimit: s.writableSizeLimit,
    configFiles: s.configFiles,
    configDir: s.configDir,
    volumes: s.volumes,
    companions: s.companions,
    alertPack: s.alertPack,
    dashboardPack: s.dashboardPack,
    podAnnotations: s.podAnnotations,
    podLabels: s.podLabels,
    legacyJobInitContainer: s.legacyJobInitContainer,
    runOnce: s.runOnce,
    workload: props.workload,
    name: context.name,
    // Resolved once: the default mode of the scope, as the core would resolve it.
    mode: context.mode,
    resources: props.resources,
    startRank: props.startRank,
    beforeInitContainers: props.beforeInitContainers,
    appContainers: props.appContainers,
    user: props.user,
    group: props.group,
  };
  recordSpec(all, s);
  return all;
}

/** The specs made so far, by spec function and input (see `_spec-cache.ts`). @internal */
export const SPECS = new SpecCache<SidecarSpec>();

/** What a spec function reads: the context's values and every prop but the workload. */
function keyOf(props: NamedSidecarProps, context: SpecContext): string | undefined {
  const parts: unknown[] = [context.name, context.mode, context.runsToCompletion, context.namespace];
  for (const key of Object.keys(props)) {
    if (key !== 'workload') parts.push(key, (props as any)[key]);
  }
  return specKey(parts);
}
