import { sourceOf } from '../_internal';
import { PodRule, podError } from './rule';

/**
 * SUBPATH_ON_SHARED: content a sidecar shares, or must see change, is never mounted by
 * subPath (a subPath mount never sees updates): neither its volume, nor (for content
 * declared `mustSeeUpdates`) the same ConfigMap or Secret under another volume name.
 */
export const subPath: PodRule = pod => {
  const errors: string[] = [];
  if (!pod.containers.some(c => c.mounts.some(m => m.subPath !== undefined || m.subPathExpr !== undefined))) return errors;
  const watched = new Map<string, string>(); // ConfigMap/Secret → the sidecar watching it
  for (const v of pod.volumes.volumes) {
    for (const u of v.uses) {
      const object = u.declaration.source._object;
      if (u.declaration.mustSeeUpdates && object !== undefined) watched.set(object, u.sidecar.name);
    }
  }
  for (const { container: c, mounts } of pod.containers) {
    for (const m of mounts) {
      if (m.subPath === undefined && m.subPathExpr === undefined) continue;
      const entry = pod.volumes.get(m.volume.name);
      const shared = entry !== undefined && entry.volume === m.volume
        && entry.uses.some(u => u.declaration.appPath !== undefined || u.declaration.reuse || u.declaration.mustSeeUpdates);
      if (shared) {
        errors.push(podError(pod, undefined, 'SUBPATH_ON_SHARED', `container '${c.name}' mounts shared volume '${m.volume.name}' with a subPath, and subPath mounts never see updates`,
          'mount the whole volume (no subPath) at a directory of its own'));
        continue;
      }
      const object = sourceOf(m.volume);
      const watcher = object === undefined ? undefined : watched.get(object);
      if (watcher !== undefined) {
        errors.push(podError(pod, watcher, 'SUBPATH_ON_SHARED', `container '${c.name}' mounts watched ${object} (volume '${m.volume.name}') with a subPath, and subPath mounts never see updates`,
          'mount the whole volume (no subPath) at a directory of its own, or read the file from the sidecar-shared mount'));
      }
    }
  }
  return errors;
};
