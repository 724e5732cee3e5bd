import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SidecarError } from './errors';

/**
 * Internal: a projected service-account token volume. Nothing here is exported
 * from the package.
 *
 * cdk8s-plus-28 turns the pod's service-account token off
 * (`automountServiceAccountToken: false`) and has no factory for projected volumes.
 * A JSON patch could add the volume, but not its mount: patches address containers
 * by index, and a container's index is only known once the pod's sidecars have been
 * ordered at synthesis. So the volume is built as a cdk8s-plus Volume, with the raw
 * volume source that every `Volume.fromXxx()` factory passes to the same
 * constructor, and mounted with `container.mount()` into the containers that need
 * it and no others.
 */
export interface ServiceAccountTokenVolumeOptions {
  /** The volume name. */
  readonly name: string;
  /** The file name of the token inside the volume. */
  readonly path: string;
  /** The token's audience; undefined for the API server's own. */
  readonly audience?: string;
  /** The token's lifetime in seconds (at least 600); the kubelet rotates it. */
  readonly expirationSeconds: number;
}

type VolumeConstructor = new (scope: Construct, id: string, name: string, config: any) => kplus.Volume;

export function serviceAccountTokenVolume(scope: Construct, id: string, options: ServiceAccountTokenVolumeOptions): kplus.Volume {
  const volume = new (kplus.Volume as unknown as VolumeConstructor)(scope, id, options.name, {
    projected: {
      sources: [{
        serviceAccountToken: {
          path: options.path,
          audience: options.audience,
          expirationSeconds: options.expirationSeconds,
        },
      }],
    },
  });
  const rendered = volume._toKube() as any;
  if (volume.name !== options.name || rendered?.projected?.sources?.[0]?.serviceAccountToken?.path !== options.path) {
    throw new SidecarError('CDK8S_PLUS_UNSUPPORTED', { noun: 'construct', path: scope.node.path }, 'this cdk8s-plus-28 release builds volumes in a way cdk8s-sidecars does not know', 'use cdk8s-plus-28 2.5.x, the range this library supports');
  }
  return volume;
}
