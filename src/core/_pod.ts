import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { SidecarError, workloadSubject } from './errors';

/**
 * Internal knowledge of cdk8s-plus-28 pods. Nothing here is exported from the package.
 */

/**
 * True for workloads whose pods are meant to finish: Jobs, CronJobs, and pods
 * with restartPolicy Never or OnFailure. A legacy sidecar keeps them from ever
 * completing.
 */
export function runsToCompletion(workload: kplus.AbstractPod): boolean {
  // A Job always does, whatever its restartPolicy says: cdk8s-plus renders 'Always' for
  // a Job created with `restartPolicy: undefined`, which the API server then rejects.
  if (workload instanceof kplus.Job || workload instanceof kplus.CronJob) return true;
  return (workload.restartPolicy ?? kplus.RestartPolicy.ALWAYS) !== kplus.RestartPolicy.ALWAYS;
}

/**
 * The JSON pointer of the pod spec inside the workload's manifest, or undefined
 * for an AbstractPod subclass this library does not know.
 */
export function podSpecPointer(workload: kplus.AbstractPod): string | undefined {
  if (workload instanceof kplus.CronJob) return '/spec/jobTemplate/spec/template/spec';
  if (workload instanceof kplus.Pod) return '/spec';
  if (workload instanceof kplus.Deployment
    || workload instanceof kplus.StatefulSet
    || workload instanceof kplus.DaemonSet
    || workload instanceof kplus.Job) {
    return '/spec/template/spec';
  }
  return undefined;
}

interface PodContainerLists {
  readonly _containers: kplus.Container[];
  readonly _initContainers: kplus.Container[];
}

/**
 * cdk8s-plus renders containers in the order they were added and has no API to
 * insert one at a position. The start order is a property of the pod, so the
 * final order is applied to cdk8s-plus's own lists once every container is known
 * (before anything renders). `initContainers` and `containers` must be
 * permutations of the current lists.
 */
export function applyContainerOrder(workload: kplus.AbstractPod, initContainers: kplus.Container[], containers: kplus.Container[]): void {
  const lists = workload as unknown as Partial<PodContainerLists>;
  if (!Array.isArray(lists._initContainers) || !Array.isArray(lists._containers)) {
    throw new SidecarError('CDK8S_PLUS_UNSUPPORTED', workloadSubject(workload), 'this cdk8s-plus-28 release keeps its containers where cdk8s-sidecars cannot order them', 'use cdk8s-plus-28 2.5.x, the range this library supports');
  }
  reorder(lists._initContainers, initContainers);
  reorder(lists._containers, containers);
}

function reorder(list: kplus.Container[], order: kplus.Container[]) {
  if (list.length !== order.length || !order.every(c => list.includes(c))) {
    throw new Error('cdk8s-sidecars: internal error: container order is not a permutation of the pod\'s containers');
  }
  list.splice(0, list.length, ...order);
}

/**
 * Puts an object a sidecar creates for its pod (created with the workload's namespace)
 * where the pod is: a workload without a namespace gets objects without one too, not
 * the namespace of the chart the sidecar was created in.
 */
export function keepWithWorkload(object: IConstruct, workload: kplus.AbstractPod): void {
  const api = ApiObject.of(object);
  if (workload.metadata.namespace === undefined && api.metadata.namespace !== undefined) {
    api.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}

/**
 * Some cdk8s-plus releases (the 32 and 33 lines, 2.5.x) render a StatefulSet without
 * `volumeClaimTemplates` with no pod volumes at all, so every mount points at a volume
 * that does not exist (cdk8s-team/cdk8s#2858, cdk8s-team/cdk8s-plus#6735). When the
 * StatefulSet's own pod spec lost volumes its base Workload renders, they are put back
 * with a JSON patch; on a release without the bug this does nothing.
 *
 * @returns whether a patch was added
 */
export function restoreStatefulSetVolumes(workload: kplus.AbstractPod): boolean {
  if (!(workload instanceof kplus.StatefulSet)) return false;
  const own: any[] = (workload as any)._toPodSpec().volumes ?? [];
  const base: any[] = (kplus.Workload.prototype as any)._toPodSpec.call(workload).volumes ?? [];
  const claims: string[] = ((workload as any).volumeClaimTemplates ?? []).map((t: { name: string }) => t.name);
  const wanted = base.filter(v => !claims.includes(v.name));
  if (wanted.length === 0 || own.length === wanted.length) return false;
  // The patch applies before the generated StatefulSet's own conversion to JSON, which
  // then renders these volumes like every other (quantities included).
  ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/template/spec/volumes', wanted));
  return true;
}
