import * as kplus from 'cdk8s-plus-28';
import { errorMessage, workloadSubject } from '../errors';
import type { ShutdownPlan } from './grace-period';
import type { Sidecar } from '../sidecar';
import type { VolumeRegistry } from '../volume-registry';

/**
 * Internal: the pod-wide rules' view of one pod, after its arrangement. Nothing here
 * is exported from the package. A rule reads, never changes, and returns its errors.
 */
export interface PodView {
  readonly workload: kplus.AbstractPod;
  /** The sidecars, in start order. */
  readonly sidecars: Sidecar[];
  /** Every container that is not a sidecar's. */
  readonly appContainers: kplus.Container[];
  /** The workload's own init containers. */
  readonly ownInitContainers: kplus.Container[];
  readonly volumes: VolumeRegistry;
  /** The containers each sidecar serves (volumes, environment), and the names it asked for that it cannot serve. */
  readonly served: ReadonlyMap<Sidecar, Served>;
  /** The grace period the pod needs, and the limit set on it. */
  readonly shutdown: ShutdownPlan;
  /** Things only one construct per pod may do (run a Vault agent), and who claimed each. */
  readonly claims: ReadonlyArray<{ readonly key: string; readonly by: string; readonly what: string }>;
  /**
   * Every container of the pod, init containers first, each with its mounts and ports
   * and the sidecar it belongs to: read once per pod (cdk8s-plus copies these lists on
   * every read), shared by the rules.
   */
  readonly containers: ReadonlyArray<PodContainer>;
}

/** A container of the pod, as the rules read it. */
export interface PodContainer {
  readonly container: kplus.Container;
  readonly mounts: kplus.VolumeMount[];
  readonly ports: kplus.ContainerPort[];
  /** Whether it is an init container. */
  readonly init: boolean;
  /** The sidecar whose main container or companion it is. */
  readonly sidecar?: Sidecar;
}

/** The rules' view of `containers` (init containers first), with their owners among `sidecars`. */
export function podContainers(initContainers: kplus.Container[], containers: kplus.Container[], sidecars: Sidecar[]): PodContainer[] {
  const owners = new Map<kplus.Container, Sidecar>();
  for (const s of sidecars) {
    owners.set(s.container, s);
    for (const c of s.companions) owners.set(c, s);
  }
  const view = (init: boolean) => (container: kplus.Container): PodContainer =>
    ({ container, mounts: container.mounts, ports: container.ports, init, sidecar: owners.get(container) });
  return [...initContainers.map(view(true)), ...containers.map(view(false))];
}

/** The containers a sidecar serves. */
export interface Served {
  readonly targets: kplus.Container[];
  /** Names in `appContainers` that are no container the sidecar can serve. */
  readonly unknown: string[];
  /** The containers it could serve. */
  readonly eligible: kplus.Container[];
}

/** A pod-wide rule. */
export type PodRule = (pod: PodView) => string[];

/** One error of a rule, about the pod and, where one is involved, a sidecar. */
export function podError(pod: PodView, sidecar: string | undefined, code: string, problem: string, fix: string): string {
  return errorMessage(code, workloadSubject(pod.workload, sidecar), problem, fix);
}

/** The view of one container of the pod. */
export function containerOf(pod: PodView, container: kplus.Container): PodContainer {
  const found = pod.containers.find(c => c.container === container);
  if (found === undefined) throw new Error(`container '${container.name}' is not in the pod's view`);
  return found;
}
