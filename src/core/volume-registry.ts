import * as kplus from 'cdk8s-plus-28';
import { Fail, failFor, workloadSubject } from './errors';
import type { Sidecar } from './sidecar';
import { SidecarVolume } from './volumes';

/**
 * Internal: the pod's volume registry, owned by the pod's sidecar arrangement
 * (PodSidecars). Nothing here is exported from the package.
 *
 * Every volume a sidecar declares goes through it. A private volume is never reused: a
 * name another volume of the pod has is refused, naming both owners. A volume
 * declared with `reuse` takes the pod's volume of that name, or is shared with every
 * other sidecar that declares it with `reuse`. The pod rules read the registry to
 * check writers and subPath mounts.
 */

/** One declaration of a registered volume. */
export interface VolumeUse {
  readonly sidecar: Sidecar;
  readonly declaration: SidecarVolume;
}

/** A volume of the registry. */
export interface RegisteredVolume {
  readonly name: string;
  readonly volume: kplus.Volume;
  /** The sidecar that created the volume; undefined when it is the pod's own. */
  readonly owner?: Sidecar;
  readonly uses: VolumeUse[];
}

/** The Kubernetes volume source each SidecarVolumeSource kind renders. */
const KUBE_KIND: { [kind: string]: string } = {
  emptyDir: 'emptyDir',
  configMap: 'configMap',
  secret: 'secret',
  serviceAccountToken: 'projected',
};

/** The volume's Kubernetes source (`emptyDir`, `configMap`, `projected`, ...). */
function kindOf(volume: kplus.Volume): string {
  return Object.keys(volume._toKube()).find(k => k !== 'name') ?? 'unknown';
}

export class VolumeRegistry {
  private readonly entries = new Map<string, RegisteredVolume>();

  public constructor(private readonly workload: kplus.AbstractPod) {}

  /** The registered volumes. */
  public get volumes(): RegisteredVolume[] {
    return [...this.entries.values()];
  }

  /** The registered volume named `name`, if any. */
  public get(name: string): RegisteredVolume | undefined {
    return this.entries.get(name);
  }

  /**
   * The volume `sidecar` mounts for `declaration`: the pod's or another sidecar's
   * when both allow reuse, else a new one made by `create` and added to the pod.
   */
  public register(sidecar: Sidecar, declaration: SidecarVolume, create: () => kplus.Volume): kplus.Volume {
    const fail = failFor(workloadSubject(this.workload, sidecar.name));
    const name = declaration.name;
    const use = { sidecar, declaration };
    const entry = this.entries.get(name);
    if (entry !== undefined) {
      if (declaration.reuse && entry.uses.every(u => u.declaration.reuse)) {
        this.checkKind(declaration, entry.volume, entry.owner !== undefined ? `sidecar '${entry.owner.name}'` : 'the pod', fail);
        entry.uses.push(use);
        return entry.volume;
      }
      const other = entry.owner === sidecar ? 'this sidecar' : entry.owner !== undefined ? `sidecar '${entry.owner.name}'` : 'the pod';
      fail('VOLUME_NAME_TAKEN', `volume name '${name}' is already taken by ${other}`,
        'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)');
    }
    const own = this.podVolume(name);
    if (own !== undefined) {
      if (!declaration.reuse) {
        fail('VOLUME_NAME_TAKEN', `the pod already has a volume named '${name}' (${own.by})`,
          'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)');
      }
      this.checkKind(declaration, own.volume, own.by, fail);
      this.entries.set(name, { name, volume: own.volume, uses: [use] });
      return own.volume;
    }
    const volume = create();
    this.workload.addVolume(volume);
    this.entries.set(name, { name, volume, owner: sidecar, uses: [use] });
    return volume;
  }

  /** A reused volume is of the kind the declaration asks for (an emptyDir is no token volume). */
  private checkKind(declaration: SidecarVolume, volume: kplus.Volume, by: string, fail: Fail): void {
    const wanted = declaration.source._volume !== undefined ? kindOf(declaration.source._volume) : KUBE_KIND[declaration.source.kind];
    const found = kindOf(volume);
    if (wanted !== found) {
      fail('VOLUME_NAME_TAKEN', `the volume '${declaration.name}' to reuse (${by}) is a ${found} volume, not the ${wanted} volume this sidecar declares`,
        'give the sidecar\'s volume another name, or reuse a volume of the same kind');
    }
  }

  /** The pod's own volume of `name` (a pod volume, or one a container mounts), and who has it. */
  private podVolume(name: string): { volume: kplus.Volume; by: string } | undefined {
    const volume = this.workload.volumes.find(v => v.name === name);
    if (volume !== undefined) return { volume, by: 'in the pod\'s volumes' };
    for (const c of [...this.workload.initContainers, ...this.workload.containers]) {
      const m = c.mounts.find(x => x.volume.name === name);
      if (m !== undefined) return { volume: m.volume, by: `mounted by container '${c.name}'` };
    }
    return undefined;
  }
}
