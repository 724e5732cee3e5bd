import * as kplus from 'cdk8s-plus-28';
import { PodRule, podError } from './rule';
import type { Sidecar } from '../sidecar';

/**
 * VOLUME_NAME_TAKEN: one volume per name in the pod. A sidecar's volume is checked when
 * it is declared; this catches volumes mounted after it (cdk8s-plus would fail to
 * render the pod).
 */
export const volumeNames: PodRule = pod => {
  const errors: string[] = [];
  // Who has each name: a sidecar's volume, the pod's own, or a container's mount.
  const first = new Map<string, Holder>();
  for (const v of pod.volumes.volumes) first.set(v.name, { volume: v.volume, owner: v.owner });
  for (const v of pod.workload.volumes) {
    if (!first.has(v.name)) first.set(v.name, { volume: v });
  }
  const reported = new Set<string>();
  for (const { container: c, mounts, sidecar } of pod.containers) {
    for (const m of mounts) {
      const known = first.get(m.volume.name);
      if (known === undefined) {
        first.set(m.volume.name, { volume: m.volume, container: c.name });
        continue;
      }
      if (known.volume === m.volume || reported.has(m.volume.name)) continue;
      reported.add(m.volume.name);
      errors.push(podError(pod, sidecar?.name, 'VOLUME_NAME_TAKEN',
        `container '${c.name}' mounts a volume named '${m.volume.name}', and ${holder(known)} has a different volume of that name`,
        'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)'));
    }
  }
  return errors;
};

/** Who has a volume name first. */
interface Holder {
  readonly volume: kplus.Volume;
  readonly owner?: Sidecar;
  readonly container?: string;
}

/** The holder as words: `sidecar 'logs'`, `container 'app'` or `the pod`. */
function holder(known: Holder): string {
  if (known.owner !== undefined) return `sidecar '${known.owner.name}'`;
  return known.container !== undefined ? `container '${known.container}'` : 'the pod';
}
