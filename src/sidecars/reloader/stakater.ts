import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { failFor, workloadSubject } from '../../core/errors';

/**
 * Properties of StakaterReloaderAnnotations.
 */
export interface StakaterReloaderAnnotationsProps {
  /**
   * The workload to restart: a Deployment, StatefulSet or DaemonSet.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * ConfigMaps whose change restarts the workload.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly configMaps?: kplus.IConfigMap[];

  /**
   * Secrets whose change restarts the workload.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly secrets?: kplus.ISecret[];
}

/**
 * The alternative to ReloaderSidecar for apps that cannot reload in place: no
 * container, but Stakater Reloader's annotations on the workload
 * (`configmap.reloader.stakater.com/reload`, `secret.reloader.stakater.com/reload`),
 * so the Reloader controller running in the cluster rolls the workload when a
 * listed ConfigMap or Secret changes. The app consumes them however it likes
 * (environment or mounts, subPath included, since pods are replaced).
 */
export class StakaterReloaderAnnotations extends Construct {
  /** The annotations added to the workload. */
  public readonly annotations: { [key: string]: string };

  public constructor(scope: Construct, id: string, props: StakaterReloaderAnnotationsProps) {
    super(scope, id);
    const w = props.workload;
    const fail = failFor(workloadSubject(w));
    if (!(w instanceof kplus.Deployment || w instanceof kplus.StatefulSet || w instanceof kplus.DaemonSet)) {
      fail('RELOADER_STAKATER_WORKLOAD_UNSUPPORTED', `Stakater Reloader rolls Deployments, StatefulSets and DaemonSets, not a ${w.constructor.name}`,
        'attach the annotations to a Deployment, StatefulSet or DaemonSet, or use ReloaderSidecar to reload in place');
    }
    const configMaps = uniqueNames((props.configMaps ?? []).map(c => c.name));
    const secrets = uniqueNames((props.secrets ?? []).map(s => s.name));
    if (configMaps.length + secrets.length === 0) {
      fail('RELOADER_NOTHING_TO_WATCH', 'Stakater Reloader annotations list nothing to watch', 'pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\')');
    }
    const annotations: { [key: string]: string } = {};
    if (configMaps.length > 0) annotations['configmap.reloader.stakater.com/reload'] = configMaps.join(',');
    if (secrets.length > 0) annotations['secret.reloader.stakater.com/reload'] = secrets.join(',');
    for (const [k, v] of Object.entries(annotations)) {
      w.metadata.addAnnotation(k, v);
    }
    this.annotations = annotations;
  }
}

function uniqueNames(names: string[]): string[] {
  return [...new Set(names)];
}
