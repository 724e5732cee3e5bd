import * as kplus from 'cdk8s-plus-28';
import type { SidecarVolume } from './volumes';

/**
 * Internal: what the core's own parts tell each other about a sidecar. Nothing here is
 * exported from the package.
 */

/** A mount an app container receives from a sidecar. */
export interface AppMount {
  readonly path: string;
  readonly volume: kplus.Volume;
  readonly readOnly: boolean;
}

/** A volume the sidecar declared, as the pod's volume registry keeps it. */
export interface DeclaredVolume {
  readonly volume: kplus.Volume;
  readonly declaration: SidecarVolume;
}

/** `<number>/<protocol>`: what two containers of one pod may not both listen on. */
export function portKey(port: { number: number; protocol?: kplus.Protocol }): string {
  return `${port.number}/${port.protocol ?? kplus.Protocol.TCP}`;
}

/** The ConfigMap or Secret behind a cdk8s-plus volume, as words; undefined for other sources. */
export function sourceOf(volume: kplus.Volume): string | undefined {
  const spec = volume._toKube();
  if (spec.configMap?.name !== undefined) return `ConfigMap '${spec.configMap.name}'`;
  if (spec.secret?.secretName !== undefined) return `Secret '${spec.secret.secretName}'`;
  return undefined;
}

/** True when the volume is a memory-backed emptyDir without a size limit. */
export function unboundedMemory(volume: kplus.Volume): boolean {
  const emptyDir = volume._toKube().emptyDir;
  return emptyDir?.medium === kplus.EmptyDirMedium.MEMORY && emptyDir.sizeLimit === undefined;
}
