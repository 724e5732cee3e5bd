import { SidecarVolumeWriters } from '../volumes';
import { PodRule, podError } from './rule';

/**
 * VOLUME_WRITER_FORBIDDEN: a volume declared `SIDECAR_ONLY` (rendered secrets) is
 * mounted read-write by its sidecar alone; every other container mounts it read-only.
 */
export const volumeWriters: PodRule = pod => {
  const errors: string[] = [];
  for (const v of pod.volumes.volumes) {
    const owners = v.uses.filter(u => u.declaration.writers === SidecarVolumeWriters.SIDECAR_ONLY).map(u => u.sidecar);
    if (owners.length === 0) continue;
    const writers = new Set<string>();
    for (const { container: c, mounts, sidecar } of pod.containers) {
      if (sidecar !== undefined && owners.includes(sidecar)) continue;
      if (!mounts.some(m => m.volume === v.volume && !m.readOnly)) continue;
      // Blame the sidecar that shared it read-write into this container, if one did.
      const sharer = pod.sidecars.find(s => !owners.includes(s)
        && pod.served.get(s)!.targets.includes(c) && s._appMounts.some(m => m.volume === v.volume && !m.readOnly));
      const who = sidecar?.name ?? sharer?.name;
      const key = `${who} ${c.name}`;
      if (writers.has(key)) continue;
      writers.add(key);
      errors.push(podError(pod, who, 'VOLUME_WRITER_FORBIDDEN',
        `container '${c.name}' mounts volume '${v.name}' read-write, but only sidecar '${owners[0].name}' may write it`,
        'mount it read-only (readOnly, appReadOnly), or share a volume of another name'));
    }
  }
  return errors;
};
