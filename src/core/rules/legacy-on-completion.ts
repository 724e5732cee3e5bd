import * as kplus from 'cdk8s-plus-28';
import { runsToCompletion } from '../_pod';
import { SidecarPlacement } from '../sidecar';
import { PodRule, podError } from './rule';

/**
 * LEGACY_ON_COMPLETION: a LEGACY sidecar is an ordinary container that never exits, so
 * a pod that should finish (a Job's) never does.
 */
export const legacyOnCompletion: PodRule = pod => {
  const w = pod.workload;
  if (!runsToCompletion(w)) return [];
  return pod.sidecars.filter(s => s.placement === SidecarPlacement.CONTAINER).map(s => podError(pod, s.name, 'LEGACY_ON_COMPLETION',
    `a LEGACY sidecar is an ordinary container that never exits, and ${completionNoun(w)} completes only when all its containers have exited, so it would never complete`,
    'use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar'));
};

function completionNoun(w: kplus.AbstractPod): string {
  if (w instanceof kplus.CronJob) return 'a CronJob\'s Job';
  if (w instanceof kplus.Job) return 'a Job';
  return `a pod with restartPolicy ${w.restartPolicy}`;
}
