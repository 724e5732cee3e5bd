import { appContainers } from './app-containers';
import { appPorts } from './app-ports';
import { claims } from './claims';
import { containerNames } from './container-names';
import { gracePeriod } from './grace-period';
import { legacyOnCompletion } from './legacy-on-completion';
import { mountPaths } from './mount-paths';
import { ports } from './ports';
import { PodRule } from './rule';
import { subPath } from './subpath';
import { volumeNames } from './volume-names';
import { volumeWriters } from './volume-writers';
import { workloadKind } from './workload-kind';

/**
 * Internal: every pod-wide rule, in the order their errors are reported. One rule per
 * file; each reads the arranged pod and returns its errors (with a stable code).
 */
export const POD_RULES: PodRule[] = [
  workloadKind,
  legacyOnCompletion,
  appContainers,
  containerNames,
  ports,
  appPorts,
  volumeNames,
  mountPaths,
  subPath,
  volumeWriters,
  gracePeriod,
  claims,
];
