import { PodRule, podError } from './rule';

/** POD_CLAIM_CONFLICT: what only one construct per pod may do (run a Vault Agent) is done once. */
export const claims: PodRule = pod => {
  const errors: string[] = [];
  const byKey = new Map<string, Array<{ by: string; what: string }>>();
  for (const c of pod.claims) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  for (const [key, list] of byKey) {
    for (const later of list.slice(1)) {
      errors.push(podError(pod, key, 'POD_CLAIM_CONFLICT', `${list[0].by} and ${later.by} both add ${later.what} to the pod, so it would run two`,
        'keep one of them on this workload'));
    }
  }
  return errors;
};
