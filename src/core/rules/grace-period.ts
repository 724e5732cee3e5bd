import { PodRule, podError } from './rule';

/** GRACE_PERIOD_TOO_SHORT: a limit on the grace period covers the app and every sidecar's budget. */
export const gracePeriod: PodRule = pod => {
  const need = pod.shutdown;
  if (need.limit === undefined || need.total <= need.limit) return [];
  const sum = [`app ${need.app}s`, ...need.parts.map(p => `${p.name} ${p.seconds}s`)].join(' + ');
  return [podError(pod, undefined, 'GRACE_PERIOD_TOO_SHORT', `terminationGracePeriodSeconds is limited to ${need.limit}s, but the pod needs ${need.total}s (${sum})`,
    `raise the limit to at least ${need.total}s, lower the app's shutdown time, or lower the sidecars' shutdown budgets`)];
};
