import * as kplus from 'cdk8s-plus-28';
import { SidecarVolume } from './volumes';

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
