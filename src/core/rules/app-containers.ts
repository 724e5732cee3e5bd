import { SidecarPlacement } from '../sidecar';
import { PodRule, podError } from './rule';

/**
 * NO_APP_CONTAINER: a pod with sidecars has an app container.
 * APP_CONTAINER_UNKNOWN: `appContainers` names containers the sidecar can serve.
 */
export const appContainers: PodRule = pod => {
  const errors: string[] = [];
  if (pod.appContainers.length === 0) {
    errors.push(podError(pod, undefined, 'NO_APP_CONTAINER', 'the pod has sidecars but no app container', 'add the app\'s container to the workload (containers: [...])'));
  }
  for (const s of pod.sidecars) {
    const served = pod.served.get(s)!;
    for (const n of served.unknown) {
      const own = pod.ownInitContainers.find(c => c.name === n);
      errors.push(own !== undefined
        ? podError(pod, s.name, 'APP_CONTAINER_UNKNOWN',
          `'appContainers' names init container '${n}', which starts before this sidecar runs (a ${s.placement === SidecarPlacement.CONTAINER ? 'LEGACY sidecar starts after all init containers' : 'sidecar with beforeInitContainers: false starts after them'})`,
          'serve that init container from a sidecar that starts before it, or leave it out of \'appContainers\'')
        : podError(pod, s.name, 'APP_CONTAINER_UNKNOWN',
          `'appContainers' names '${n}', which is not an app container of the pod (app containers: ${served.eligible.map(c => `'${c.name}'`).join(', ') || 'none'})`,
          'name an existing app container, or leave \'appContainers\' unset to serve them all'));
    }
  }
  return errors;
};
