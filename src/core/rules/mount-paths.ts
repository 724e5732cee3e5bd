import { containerOf, PodRule, podError } from './rule';

/**
 * MOUNT_PATH_TAKEN: a container mounts one volume per path (the API server refuses two).
 * APP_MOUNT_PATH_TAKEN: a sidecar shares a volume at a path where an app container
 * already mounts another.
 */
export const mountPaths: PodRule = pod => {
  const errors: string[] = [];
  for (const s of pod.sidecars) {
    for (const c of pod.served.get(s)!.targets) {
      for (const m of s._appMounts) {
        const existing = containerOf(pod, c).mounts.find(x => x.path === m.path);
        if (existing !== undefined && existing.volume !== m.volume) {
          errors.push(podError(pod, s.name, 'APP_MOUNT_PATH_TAKEN', `container '${c.name}' already mounts volume '${existing.volume.name}' at '${m.path}', where this sidecar shares '${m.volume.name}'`,
            'mount the app\'s volume elsewhere, or set this sidecar\'s app path to a free one'));
        }
      }
    }
  }
  for (const { container: c, mounts, sidecar } of pod.containers) {
    const seen = new Map<string, string>();
    for (const m of mounts) {
      const other = seen.get(m.path);
      if (other !== undefined) {
        errors.push(podError(pod, sidecar?.name, 'MOUNT_PATH_TAKEN', `container '${c.name}' mounts both '${other}' and '${m.volume.name}' at '${m.path}'`,
          'mount each volume at its own path'));
      }
      seen.set(m.path, m.volume.name);
    }
  }
  return errors;
};
