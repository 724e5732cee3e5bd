import { IConstruct } from 'constructs';
import { AlertTarget } from './_rules';
import { recordedSidecarsIn } from '../core/_internal';
import { isDnsLabel } from '../core/checks';
import { Sidecar, SidecarPlacement } from '../core/sidecar';

/**
 * Internal: what SidecarAlerts and SidecarDashboards share: the sidecars they collect, as
 * their rules and panels see them, grouped by the pack each brings. Nothing here is
 * exported from the package.
 */

/** The sidecars in `scope` and below, in the construct tree's order. */
export function sidecarsIn(scope: IConstruct): Sidecar[] {
  return recordedSidecarsIn(scope) as Sidecar[];
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

/** A pack and the sidecars that bring it. */
export interface PackGroup<P> {
  readonly pack: P;
  readonly sidecars: Sidecar[];
}

/**
 * The sidecars grouped by the pack `packOf` reads from each: the `seed` groups first, then
 * by pack name, so that the output does not depend on construction order. Two different
 * packs of one name are a mistake: `namesake` hears of each sidecar whose pack is named like
 * an earlier one, and that sidecar is left out.
 */
export function groupByPack<P extends { readonly name: string }>(
  sidecars: Sidecar[],
  packOf: (s: Sidecar) => P | undefined,
  namesake: (s: Sidecar, pack: P) => void,
  seed: Array<PackGroup<P>> = [],
): Array<PackGroup<P>> {
  const found: Array<PackGroup<P>> = [];
  const byPack = new Map<P, PackGroup<P>>(seed.map(g => [g.pack, g]));
  const names = new Set(seed.map(g => g.pack.name));
  for (const s of sidecars) {
    const pack = packOf(s);
    if (pack === undefined) continue;
    const group = byPack.get(pack);
    if (group !== undefined) {
      group.sidecars.push(s);
    } else if (names.has(pack.name)) {
      namesake(s, pack);
    } else {
      const added = { pack, sidecars: [s] };
      found.push(added);
      byPack.set(pack, added);
      names.add(pack.name);
    }
  }
  return [...seed, ...found.sort((a, b) => a.pack.name.localeCompare(b.pack.name))];
}
