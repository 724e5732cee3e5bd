import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { runsToCompletion } from './_pod';
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

/** The props of the core `Sidecar`: the user's options and the spec of the named sidecar. */
export function namedSidecarProps<P extends NamedSidecarProps>(scope: IConstruct, props: P, defaultName: string,
  spec: (props: P, context: SpecContext) => SidecarSpec): SidecarProps {
  const context = specContext(scope, props, defaultName);
  return {
    ...spec(props, context),
    workload: props.workload,
    name: context.name,
    mode: props.mode,
    resources: props.resources,
    startRank: props.startRank,
    beforeInitContainers: props.beforeInitContainers,
    appContainers: props.appContainers,
    user: props.user,
    group: props.group,
  };
}
