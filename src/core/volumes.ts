import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { sourceOf } from './_internal';
import { serviceAccountTokenVolume } from './_projected';
import { wholeSeconds } from './checks';

/**
 * Who may mount a sidecar's volume read-write.
 */
export enum SidecarVolumeWriters {
  /** Any container of the pod. */
  ANY_CONTAINER = 'ANY_CONTAINER',
  /**
   * Only the sidecar that declares the volume (and its companion containers): every
   * other container, app or sidecar, must mount it read-only. For content the app must
   * be able to trust, such as rendered secrets.
   */
  SIDECAR_ONLY = 'SIDECAR_ONLY',
}

/**
 * Options of an emptyDir volume.
 */
export interface SidecarEmptyDirOptions {
  /**
   * The most the volume may hold. Required for memory-backed volumes, which count
   * against the pod's memory.
   *
   * @default - no limit (a disk-backed volume only)
   */
  readonly sizeLimit?: Size;

  /**
   * Keep the volume in memory (tmpfs).
   *
   * @default false
   */
  readonly memory?: boolean;
}

/**
 * Options of a ConfigMap or Secret volume.
 */
export interface SidecarKeyVolumeOptions {
  /**
   * Only these keys, each to a file path inside the volume (key to path).
   *
   * @default - every key, each to a file of its name
   */
  readonly items?: { [key: string]: string };
}

/**
 * Options of a projected service-account token volume.
 */
export interface SidecarTokenVolumeOptions {
  /**
   * The file name of the token in the volume.
   *
   * @default 'token'
   */
  readonly path?: string;

  /**
   * The token's audience.
   *
   * @default - the API server's own
   */
  readonly audience?: string;

  /**
   * The token's lifetime (the kubelet renews it); at least 10 minutes.
   *
   * @default Duration.hours(1)
   */
  readonly expiration?: Duration;
}

type VolumeFactory = (scope: Construct, id: string, name: string) => kplus.Volume;

/**
 * Where a sidecar's volume comes from.
 */
export class SidecarVolumeSource {
  /** An emptyDir: scratch space that lives as long as the pod. */
  public static emptyDir(options: SidecarEmptyDirOptions = {}): SidecarVolumeSource {
    return new SidecarVolumeSource('emptyDir', (scope, id, name) => kplus.Volume.fromEmptyDir(scope, id, name, {
      sizeLimit: options.sizeLimit,
      medium: options.memory ? kplus.EmptyDirMedium.MEMORY : undefined,
    }), undefined);
  }

  /** The keys of a ConfigMap, as files. */
  public static configMap(configMap: kplus.IConfigMap, options: SidecarKeyVolumeOptions = {}): SidecarVolumeSource {
    return new SidecarVolumeSource('configMap', (scope, id, name) => kplus.Volume.fromConfigMap(scope, id, configMap, {
      name, items: items(options.items),
    }), `ConfigMap '${configMap.name}'`, undefined, namespaceOf(configMap));
  }

  /** The keys of a Secret, as files. */
  public static secret(secret: kplus.ISecret, options: SidecarKeyVolumeOptions = {}): SidecarVolumeSource {
    return new SidecarVolumeSource('secret', (scope, id, name) => kplus.Volume.fromSecret(scope, id, secret, {
      name, items: items(options.items),
    }), `Secret '${secret.name}'`, undefined, namespaceOf(secret));
  }

  /**
   * The ConfigMap a sidecar makes for its own config files: where its pod is, whatever the
   * chart it was made in says (see `keepWithWorkload`).
   *
   * @internal
   */
  public static _ownConfigMap(configMap: kplus.IConfigMap): SidecarVolumeSource {
    return new SidecarVolumeSource('configMap', (scope, id, name) => kplus.Volume.fromConfigMap(scope, id, configMap, { name }),
      `ConfigMap '${configMap.name}'`);
  }

  /**
   * A projected service-account token (cdk8s-plus turns the pod's own token off), for
   * a sidecar that logs in with the pod's identity.
   */
  public static serviceAccountToken(options: SidecarTokenVolumeOptions = {}): SidecarVolumeSource {
    const expirationSeconds = wholeSeconds(options.expiration ?? Duration.hours(1));
    const path = options.path ?? 'token';
    const source = new SidecarVolumeSource('serviceAccountToken', (scope, id, name) => serviceAccountTokenVolume(scope, id, {
      name,
      path,
      audience: options.audience,
      expirationSeconds: expirationSeconds!,
    }), undefined);
    if (expirationSeconds === undefined || expirationSeconds < 600) {
      source._problem = {
        code: 'DURATION_INVALID',
        problem: 'the service-account token\'s \'expiration\' is not a whole number of seconds of at least 600',
        fix: 'pass e.g. Duration.hours(1) (Kubernetes requires at least 10 minutes)',
      };
    } else if (!/^[A-Za-z0-9._-]+$/.test(path) || path === '.' || path === '..') {
      source._problem = { code: 'PATH_INVALID', problem: `the service-account token's 'path' ${JSON.stringify(path)} is not a file name`, fix: 'pass a file name such as \'token\'' };
    }
    return source;
  }

  /**
   * A cdk8s-plus volume you built (a PersistentVolumeClaim, a CSI volume, ...). Its
   * name must be the `name` of the SidecarVolume it is given to.
   */
  public static fromVolume(volume: kplus.Volume): SidecarVolumeSource {
    return new SidecarVolumeSource('volume', () => volume, sourceOf(volume), volume);
  }

  /** The kind of source: `emptyDir`, `configMap`, `secret`, `serviceAccountToken` or `volume`. */
  public readonly kind: string;

  /**
   * The ConfigMap or Secret behind the volume, as words (`ConfigMap 'app-config'`).
   *
   * @internal
   */
  public readonly _object?: string;

  /** @internal */
  public readonly _volume?: kplus.Volume;

  /**
   * The namespace of the ConfigMap or Secret where the app defines it (null: defined without
   * one); undefined when it is only referenced by name, or for other sources.
   *
   * @internal
   */
  public readonly _namespace?: string | null;

  /**
   * What is wrong with the source's options, raised for the sidecar it is given to.
   *
   * @internal
   */
  public _problem?: { readonly code: string; readonly problem: string; readonly fix: string };

  private readonly factory: VolumeFactory;

  private constructor(kind: string, factory: VolumeFactory, object: string | undefined, volume?: kplus.Volume, namespace?: string | null) {
    this.kind = kind;
    this.factory = factory;
    this._object = object;
    this._volume = volume;
    this._namespace = namespace;
  }

  /**
   * The cdk8s-plus volume, named `name`.
   *
   * @internal
   */
  public _create(scope: Construct, id: string, name: string): kplus.Volume {
    return this.factory(scope, id, name);
  }
}

/**
 * A volume of a sidecar: private to it, or shared with the app containers.
 */
export interface SidecarVolume {
  /**
   * The volume's name in the pod (a DNS label, unique in the pod unless `reuse`).
   */
  readonly name: string;

  /**
   * Where the volume comes from.
   */
  readonly source: SidecarVolumeSource;

  /**
   * Where the sidecar mounts it (an absolute path).
   */
  readonly path: string;

  /**
   * Mount it read-only into the sidecar.
   *
   * @default false
   */
  readonly readOnly?: boolean;

  /**
   * Where the app containers mount it. Set it to share the volume with the app; a
   * shared volume is always mounted whole (never by subPath), so both sides see
   * updates.
   *
   * @default - not mounted into the app: private to the sidecar
   */
  readonly appPath?: string;

  /**
   * Mount it read-only into the app containers.
   *
   * @default false
   */
  readonly appReadOnly?: boolean;

  /**
   * Use the pod's volume of this name when there is one (added by you or by another
   * sidecar that also allows reuse) instead of refusing the name.
   *
   * @default false
   */
  readonly reuse?: boolean;

  /**
   * Who may mount the volume read-write.
   *
   * @default SidecarVolumeWriters.ANY_CONTAINER
   */
  readonly writers?: SidecarVolumeWriters;

  /**
   * The volume's content changes while the pod runs and the sidecar must see the
   * changes (a watched ConfigMap or Secret): no container of the pod may mount the
   * same ConfigMap or Secret by subPath, under any volume name.
   *
   * @default false
   */
  readonly mustSeeUpdates?: boolean;
}

function items(map: { [key: string]: string } | undefined): { [key: string]: kplus.PathMapping } | undefined {
  if (map === undefined) return undefined;
  const out: { [key: string]: kplus.PathMapping } = {};
  for (const [key, path] of Object.entries(map)) out[key] = { path };
  return out;
}

/** The object's namespace where the app defines it (null: defined without one), or undefined when it is only referenced by name. */
function namespaceOf(object: kplus.IConfigMap | kplus.ISecret): string | null | undefined {
  return object instanceof kplus.Resource ? object.metadata.namespace ?? null : undefined;
}
