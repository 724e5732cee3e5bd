import { podSpecPointer } from '../_pod';
import { PodRule, podError } from './rule';

/** WORKLOAD_UNSUPPORTED: sidecars go on the pod kinds of cdk8s-plus the library knows. */
export const workloadKind: PodRule = pod => podSpecPointer(pod.workload) !== undefined ? [] : [
  podError(pod, undefined, 'WORKLOAD_UNSUPPORTED', `${pod.workload.constructor.name} is not a workload cdk8s-sidecars knows`,
    'attach sidecars to a kplus Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod'),
];
