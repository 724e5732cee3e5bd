import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
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

/**
 * Every sidecar, by the root of its construct tree: `sidecarsIn` walks only the branches
 * that hold one instead of the whole tree. Kept on `globalThis` under a registered
 * symbol, as `Sidecar.isSidecar` is, so that every copy of the library in one app shares it.
 */
const SIDECARS_BY_ROOT = Symbol.for('cdk8s-sidecars.sidecarsByRoot');
const byRoot: WeakMap<IConstruct, IConstruct[]> = (globalThis as any)[SIDECARS_BY_ROOT] ??= new WeakMap();

/** Records a sidecar, from its constructor. */
export function recordSidecar(sidecar: IConstruct): void {
  const root = sidecar.node.root;
  const known = byRoot.get(root);
  if (known === undefined) byRoot.set(root, [sidecar]);
  else known.push(sidecar);
}

/**
 * The recorded sidecars in `scope` and below, in the order of `scope.node.findAll()` (pre-order,
 * each construct's children in `node.children` order); a sidecar removed from the tree is not
 * reached.
 */
export function recordedSidecarsIn(scope: IConstruct): IConstruct[] {
  const known = byRoot.get(scope.node.root) ?? [];
  const sidecars = new Set(known);
  // The sidecars and every construct above one: the only branches worth walking.
  const onPath = new Set<IConstruct>();
  for (const s of known) {
    for (let c: IConstruct | undefined = s; c !== undefined && !onPath.has(c); c = c.node.scope) onPath.add(c);
  }
  const found: IConstruct[] = [];
  const visit = (c: IConstruct): void => {
    if (sidecars.has(c)) found.push(c);
    for (const child of c.node.children) {
      if (onPath.has(child)) visit(child);
    }
  };
  if (onPath.has(scope)) visit(scope);
  return found;
}
