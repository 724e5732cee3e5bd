import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { dnsLabelFrom, isPortNumber, sidecarError } from './_util';
import { SidecarImages } from './images';
import { SidecarProfile } from './profile';
import { Sidecar, SidecarKind, SidecarOptions } from './sidecar';

/** The uid:gid configmap-reload's image runs as (`USER 65534`, distroless static). */
const RELOADER_UID = 65534;
const RELOADER_PORT = 9533;
const RELOADER_PORT_NAME = 'reload-metrics';
const DEFAULT_NAME = 'config-reloader';

/**
 * The HTTP method of the reload webhook.
 */
export enum ReloadWebhookMethod {
  /** GET. */
  GET = 'GET',
  /** POST (configmap-reload's default; Prometheus' and Alertmanager's `/-/reload`). */
  POST = 'POST',
  /** PUT. */
  PUT = 'PUT',
  /** PATCH. */
  PATCH = 'PATCH',
}

/**
 * Properties of a ReloaderSidecar.
 */
export interface ReloaderSidecarProps extends SidecarOptions {
  /**
   * The pod to add the reloader to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The app's reload endpoint, called after a watched ConfigMap or Secret changed
   * (an absolute http or https URL, for example `http://127.0.0.1:8080/-/reload`).
   */
  readonly webhookUrl: string;

  /**
   * ConfigMaps to watch. Each is mounted, as a whole volume, read-only into the
   * app at `<configDir>/<name>` and into the reloader.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly configMaps?: kplus.IConfigMap[];

  /**
   * Secrets to watch. Each is mounted, as a whole volume, read-only into the app
   * at `<secretDir>/<name>` and into the reloader.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly secrets?: kplus.ISecret[];

  /**
   * The directory of the app under which each watched ConfigMap is mounted.
   *
   * @default '/etc/config'
   */
  readonly configDir?: string;

  /**
   * The directory of the app under which each watched Secret is mounted.
   *
   * @default '/etc/secrets'
   */
  readonly secretDir?: string;

  /**
   * The webhook's HTTP method.
   *
   * @default ReloadWebhookMethod.POST
   */
  readonly webhookMethod?: ReloadWebhookMethod;

  /**
   * The status code that means the reload succeeded.
   *
   * @default 200
   */
  readonly webhookStatusCode?: number;

  /**
   * How many times the webhook is tried before the reload counts as failed.
   *
   * @default 3
   */
  readonly webhookRetries?: number;

  /**
   * The port of the reloader's metrics (`configmap_reload_*`).
   *
   * @default 9533
   */
  readonly metricsPort?: number;

  /**
   * The configmap-reload image.
   *
   * @default SidecarImages.CONFIGMAP_RELOAD
   */
  readonly image?: string;
}

/**
 * Hot reload of mounted ConfigMaps and Secrets: configmap-reload watches them
 * and calls the app's reload endpoint when the kubelet updates their files.
 *
 * - One whole-volume mount per watched ConfigMap/Secret, read-only, in the app and
 *   in the reloader (a subPath mount never sees updates: the pod refuses one on
 *   watched content).
 * - `--volume-dir` per volume, `--webhook-url`, `--webhook-method`,
 *   `--webhook-status-code`, `--webhook-retries`, `--web.listen-address`.
 * - Metrics on the named port `reload-metrics` (9533, `/metrics`):
 *   `configmap_reload_success_reloads_total`,
 *   `configmap_reload_request_errors_total`, `configmap_reload_last_reload_error`.
 * - Liveness and readiness are HTTP checks of the metrics server (the image has
 *   no shell). It does not gate the app's start: the app does not need it to run.
 * - CONFIG_RELOAD resources (10m/16Mi, limits 50m/64Mi); runs as uid/gid 65534,
 *   the image's own user (`USER 65534`, distroless); read-only root filesystem.
 *
 * Image: `ghcr.io/jimmidyson/configmap-reload:v0.14.0`. Container name
 * `config-reloader`. In LEGACY mode it is an ordinary container, so a LEGACY
 * reloader on a Job or CronJob is refused (use NATIVE there).
 *
 * For an app that cannot reload in place, use `StakaterReloaderAnnotations`
 * instead: a rolling restart on change, without a sidecar.
 */
export class ReloaderSidecar extends Sidecar {
  /** The webhook the reloader calls. */
  public readonly webhookUrl: string;

  private readonly watchedVolumes: kplus.Volume[] = [];

  public constructor(scope: Construct, id: string, props: ReloaderSidecarProps) {
    const workload = props.workload;
    const name = props.name ?? DEFAULT_NAME;
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };

    const configMaps = props.configMaps ?? [];
    const secrets = props.secrets ?? [];
    if (configMaps.length + secrets.length === 0) {
      fail('there is nothing to watch', 'pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\')');
    }
    const webhookUrl = checkWebhookUrl(props.webhookUrl, fail);
    const method = props.webhookMethod ?? ReloadWebhookMethod.POST;
    if (!Object.values(ReloadWebhookMethod).includes(method)) {
      fail(`'${method}' is not a webhook method`, 'pass a ReloadWebhookMethod');
    }
    const statusCode = props.webhookStatusCode ?? 200;
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
      fail(`webhook status code ${statusCode} is not an HTTP status code`, 'pass an integer from 100 to 599 as \'webhookStatusCode\'');
    }
    const retries = props.webhookRetries ?? 3;
    if (!Number.isInteger(retries) || retries < 1 || retries > 100) {
      fail(`webhook retries ${retries} is not a whole number from 1 to 100`, 'pass e.g. 3 as \'webhookRetries\'');
    }
    const port = props.metricsPort ?? RELOADER_PORT;
    if (!isPortNumber(port)) {
      fail(`metrics port ${port} is not a valid port number`, 'use an integer from 1 to 65535 as \'metricsPort\'');
    }

    const watched = [
      ...configMaps.map(cm => ({ kind: 'configmap', label: 'ConfigMap', name: cm.name, source: cm as kplus.IConfigMap | kplus.ISecret })),
      ...secrets.map(s => ({ kind: 'secret', label: 'Secret', name: s.name, source: s as kplus.IConfigMap | kplus.ISecret })),
    ];
    const seen = new Set<string>();
    for (const w of watched) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(w.name) || w.name.length > 253) {
        fail(`'${w.name}' is not a valid ${w.label} name`, 'watch ConfigMaps and Secrets by their Kubernetes names (lower-case letters, digits, \'-\' and \'.\')');
      }
      const key = `${w.kind}/${w.name}`;
      if (seen.has(key)) {
        fail(`${w.label} '${w.name}' is watched twice`, 'list each ConfigMap and Secret once');
      }
      seen.add(key);
    }
    const watchPath = (kind: string, n: string) => `/watch/${kind}s/${n}`;

    const probe = (failureThreshold: number) => kplus.Probe.fromHttpGet('/', {
      port,
      periodSeconds: Duration.seconds(10),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold,
    });

    super(scope, id, {
      ...props,
      name,
      workload,
      image: props.image ?? SidecarImages.CONFIGMAP_RELOAD,
      profile: SidecarProfile.CONFIG_RELOAD,
      kind: SidecarKind.CONFIG_RELOADER,
      metrics: { portName: RELOADER_PORT_NAME, path: '/metrics' },
      ports: [{ name: RELOADER_PORT_NAME, number: port, protocol: kplus.Protocol.TCP }],
      args: [
        ...watched.map(w => `--volume-dir=${watchPath(w.kind, w.name)}`),
        `--webhook-url=${webhookUrl}`,
        `--webhook-method=${method}`,
        `--webhook-status-code=${statusCode}`,
        `--webhook-retries=${retries}`,
        `--web.listen-address=:${port}`,
      ],
      readiness: probe(3),
      liveness: probe(6),
      user: props.user ?? RELOADER_UID,
      group: props.group ?? RELOADER_UID,
    });
    this.webhookUrl = webhookUrl;

    const configDir = props.configDir ?? '/etc/config';
    const secretDir = props.secretDir ?? '/etc/secrets';
    const volumeNames = new Set<string>();
    watched.forEach((w, i) => {
      // Long names are cut to 63 characters; two that end up alike get the index.
      let volumeName = dnsLabelFrom(`watch-${w.kind}`, w.name);
      if (volumeNames.has(volumeName)) volumeName = dnsLabelFrom(volumeName.slice(0, 56), String(i));
      volumeNames.add(volumeName);
      const volume = w.kind === 'configmap'
        ? kplus.Volume.fromConfigMap(this, `ConfigMap${i}`, w.source as kplus.IConfigMap, { name: volumeName })
        : kplus.Volume.fromSecret(this, `Secret${i}`, w.source as kplus.ISecret, { name: volumeName });
      const appDir = w.kind === 'configmap' ? configDir : secretDir;
      this.watchedVolumes.push(this.shareVolume({
        volume,
        path: watchPath(w.kind, w.name),
        readOnly: true,
        appPath: `${appDir.replace(/\/+$/, '')}/${w.name}`,
        appReadOnly: true,
      }));
    });

    // Watched content may also reach the pod through volumes of the user's own,
    // under other names: a subPath mount of those never sees updates either.
    this.node.addValidation({ validate: () => this.subPathProblems(watched) });
  }

  private subPathProblems(watched: { kind: string; label: string; name: string }[]): string[] {
    const problems: string[] = [];
    for (const c of [...this.workload.initContainers, ...this.workload.containers]) {
      for (const m of c.mounts) {
        if (m.subPath === undefined && m.subPathExpr === undefined) continue;
        if (this.watchedVolumes.includes(m.volume)) continue; // reported by PodSidecars
        const spec = m.volume._toKube();
        const ref = spec.configMap?.name !== undefined
          ? { kind: 'configmap', name: spec.configMap.name }
          : spec.secret?.secretName !== undefined ? { kind: 'secret', name: spec.secret.secretName } : undefined;
        const hit = ref === undefined ? undefined : watched.find(w => w.kind === ref.kind && w.name === ref.name);
        if (hit !== undefined) {
          problems.push(sidecarError(this.workload, this.name,
            `container '${c.name}' mounts watched ${hit.label} '${hit.name}' (volume '${m.volume.name}') with a subPath, and subPath mounts never see updates`,
            'mount the whole volume (no subPath) at a directory of its own, or read the file from the reloader-shared mount'));
        }
      }
    }
    return problems;
  }
}

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
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(w, undefined, problem, fix));
    };
    if (!(w instanceof kplus.Deployment || w instanceof kplus.StatefulSet || w instanceof kplus.DaemonSet)) {
      fail(`Stakater Reloader rolls Deployments, StatefulSets and DaemonSets, not a ${w.constructor.name}`, 'attach the annotations to a Deployment, StatefulSet or DaemonSet, or use ReloaderSidecar to reload in place');
    }
    const configMaps = uniqueNames((props.configMaps ?? []).map(c => c.name));
    const secrets = uniqueNames((props.secrets ?? []).map(s => s.name));
    if (configMaps.length + secrets.length === 0) {
      fail('Stakater Reloader annotations list nothing to watch', 'pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\')');
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

function checkWebhookUrl(value: string, fail: (problem: string, fix: string) => never): string {
  const fix = 'pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\'';
  if (typeof value !== 'string' || /[\s"'\\]/.test(value)) {
    fail(`webhook URL '${value}' contains whitespace, quotes or backslashes`, fix);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`webhook URL '${value}' is not a URL`, fix);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`webhook URL '${value}' is not http or https`, fix);
  }
  if (url.username !== '' || url.password !== '') {
    fail(`webhook URL '${value}' carries credentials, which would be readable in the pod spec`, 'call an endpoint that needs no credentials in the URL (the reloader runs in the pod, next to the app)');
  }
  return value;
}
