import { IConstruct } from 'constructs';
import { AlertTarget } from './_rules';
import { isDnsLabel } from '../core/checks';
import { Sidecar, SidecarPlacement } from '../core/sidecar';

/**
 * Internal: the sidecars SidecarAlerts and SidecarDashboards collect, as their rules and
 * panels see them. Nothing here is exported from the package.
 */

/** The sidecars in `scope` and below, in the construct tree's order. */
export function sidecarsIn(scope: IConstruct): Sidecar[] {
  return scope.node.findAll().filter(Sidecar.isSidecar);
}

/** What a rule or a panel knows of a sidecar: its container, namespace and placement. */
export function targetOf(s: Sidecar): AlertTarget {
  return {
    container: s.name,
    namespace: s.workload.metadata.namespace,
    init: s.placement !== SidecarPlacement.CONTAINER,
    longRunning: s.placement !== SidecarPlacement.INIT_CONTAINER,
    scraped: s.metrics !== undefined,
  };
}

/**
 * NAMESPACE_INVALID, in the words of `message`: namespaces go into label matchers, and a
 * namespace is whatever the chart or workload says (container names are checked by every
 * sidecar). One problem per namespace, naming the first workload that has it.
 */
export function namespaceProblems(sidecars: Sidecar[], message: (code: string, problem: string, fix: string) => string): string[] {
  const bad = new Map<string, string>();
  for (const s of sidecars) {
    const ns = s.workload.metadata.namespace;
    if (ns !== undefined && !isDnsLabel(ns) && !bad.has(ns)) bad.set(ns, s.workload.node.path);
  }
  return [...bad].map(([ns, workload]) => message('NAMESPACE_INVALID', `namespace ${JSON.stringify(ns)} of workload '${workload}' is not a valid namespace name`,
    'use a DNS label (lower-case letters, digits and \'-\', at most 63 characters) as the chart\'s or workload\'s namespace'));
}
