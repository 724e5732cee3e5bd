import * as kplus from 'cdk8s-plus-28';
import { errorMessage, workloadSubject } from '../errors';
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
  readonly shutdown: ShutdownNeed;
  /** Things only one construct per pod may do (run a Vault agent), and who claimed each. */
  readonly claims: ReadonlyArray<{ readonly key: string; readonly by: string; readonly what: string }>;
}

/** The containers a sidecar serves. */
export interface Served {
  readonly targets: kplus.Container[];
  /** Names in `appContainers` that are no container the sidecar can serve. */
  readonly unknown: string[];
  /** The containers it could serve. */
  readonly eligible: kplus.Container[];
}

/** The grace period the pod needs. */
export interface ShutdownNeed {
  readonly app: number;
  readonly parts: Array<{ readonly name: string; readonly seconds: number }>;
  readonly total: number;
  readonly limit?: number;
}

/** A pod-wide rule. */
export type PodRule = (pod: PodView) => string[];

/** One error of a rule, about the pod and, where one is involved, a sidecar. */
export function podError(pod: PodView, sidecar: string | undefined, code: string, problem: string, fix: string): string {
  return errorMessage(code, workloadSubject(pod.workload, sidecar), problem, fix);
}

/** Every container of the pod, init containers first. */
export function allContainers(pod: PodView): kplus.Container[] {
  return [...pod.workload.initContainers, ...pod.workload.containers];
}

/** The sidecar a container belongs to (its main container or a companion). */
export function sidecarOf(pod: PodView, container: kplus.Container): Sidecar | undefined {
  return pod.sidecars.find(s => s.container === container || s.companions.includes(container));
}
