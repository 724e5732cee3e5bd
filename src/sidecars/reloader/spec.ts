import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { RELOADER_ALERT_PACK } from './alerts';
import { RELOADER_DASHBOARD_PACK } from './dashboard';
import { ReloaderSidecarProps, ReloadWebhookMethod } from './sidecar';
import { dnsLabelFrom, isDnsSubdomain } from '../../core/checks';
import { Fail } from '../../core/errors';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolume, SidecarVolumeSource } from '../../core/volumes';

export const DEFAULT_NAME = 'config-reloader';
/** configmap-reload runs as `USER 65534` (nobody) on a distroless static base. */
const RELOADER_UID = 65534;
const METRICS_PORT_NAME = 'reload-metrics';

/** A watched ConfigMap or Secret. */
interface Watched {
  /** `configmap` or `secret`: the reloader's mount is `/watch/<kind>s/<name>`. */
  readonly kind: string;
  /** `ConfigMap` or `Secret`, in messages. */
  readonly label: string;
  readonly name: string;
  /** The namespace of an object defined in the app (null: defined without one); undefined for one referenced by name. */
  readonly namespace?: string | null;
  readonly source: SidecarVolumeSource;
  /** The app's directory for objects of this kind. */
  readonly appDir: string;
}

/**
 * configmap-reload as a sidecar spec: one whole, read-only volume per watched
 * ConfigMap or Secret, shared with the app and declared `mustSeeUpdates` (the core
 * refuses a subPath mount of watched content under any volume name).
 */
export function reloaderSpec(props: ReloaderSidecarProps, { checks, fail, namespace }: SpecContext): SidecarSpec {
  const configMapsDir = checks.directory('configMapsDir', props.configMapsDir ?? '/etc/config');
  const secretsDir = checks.directory('secretsDir', props.secretsDir ?? '/etc/secrets');
  const watched: Watched[] = [
    ...(props.configMaps ?? []).map(cm => ({
      kind: 'configmap', label: 'ConfigMap', name: cm.name, namespace: namespaceOf(cm), source: SidecarVolumeSource.configMap(cm), appDir: configMapsDir,
    })),
    ...(props.secrets ?? []).map(s => ({
      kind: 'secret', label: 'Secret', name: s.name, namespace: namespaceOf(s), source: SidecarVolumeSource.secret(s), appDir: secretsDir,
    })),
  ];
  if (watched.length === 0) {
    fail('RELOADER_NOTHING_TO_WATCH', 'there is nothing to watch', 'pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\')');
  }
  const webhookUrl = checkWebhookUrl(props.webhookUrl, fail);
  const method = checks.oneOf('webhookMethod', props.webhookMethod ?? ReloadWebhookMethod.POST, ReloadWebhookMethod, 'ReloadWebhookMethod');
  const statusCode = checks.integer('webhookStatusCode', props.webhookStatusCode ?? 200, 100, 599);
  const retries = checks.integer('webhookRetries', props.webhookRetries ?? 3, 1, 100);
  const port = checks.port('metricsPort', props.metricsPort ?? 9533);
  checkWatched(watched, namespace, fail);

  const probe = (failureThreshold: number) => kplus.Probe.fromHttpGet('/', {
    port,
    periodSeconds: Duration.seconds(10),
    timeoutSeconds: Duration.seconds(2),
    failureThreshold,
  });

  return {
    image: props.image ?? SidecarImages.CONFIGMAP_RELOAD,
    imageUser: RELOADER_UID,
    imageGroup: RELOADER_UID,
    kind: 'config-reloader',
    profile: SidecarProfile.CONFIG_RELOAD,
    alertPack: RELOADER_ALERT_PACK,
    dashboardPack: RELOADER_DASHBOARD_PACK,
    metrics: { portName: METRICS_PORT_NAME, path: '/metrics' },
    ports: [{ name: METRICS_PORT_NAME, number: port, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
    args: [
      ...watched.map(w => `--volume-dir=${watchPath(w)}`),
      `--webhook-url=${webhookUrl}`,
      `--webhook-method=${method}`,
      `--webhook-status-code=${statusCode}`,
      `--webhook-retries=${retries}`,
      `--web.listen-address=:${port}`,
    ],
    readiness: probe(3),
    liveness: probe(6),
    // No stopWithAppCommand: the image has no shell to send the signal from (jimmidyson/
    // configmap-reload Dockerfile at v0.14.0: `gcr.io/distroless/static-debian11:nonroot`, the
    // binary alone), so the reloader stays in the kubelet's termination order after the app.
    volumes: watchedVolumes(watched),
  };
}

function watchPath(w: Watched): string {
  return `/watch/${w.kind}s/${w.name}`;
}

/** One shared, read-only volume per watched object, named `watch-<kind>-<name>` (cut to 63 characters). */
function watchedVolumes(watched: Watched[]): SidecarVolume[] {
  const names = new Set<string>();
  return watched.map((w, i) => {
    // Two long names that are cut alike get the index.
    let name = dnsLabelFrom(`watch-${w.kind}`, w.name);
    if (names.has(name)) name = dnsLabelFrom(name.slice(0, 56), String(i));
    names.add(name);
    return {
      name,
      source: w.source,
      path: watchPath(w),
      readOnly: true,
      appPath: `${w.appDir}/${w.name}`,
      appReadOnly: true,
      mustSeeUpdates: true,
    };
  });
}

/** The object's namespace where the app defines it (`null`: defined without one), or undefined when it is only referenced by name. */
function namespaceOf(object: kplus.IConfigMap | kplus.ISecret): string | null | undefined {
  return object instanceof kplus.Resource ? object.metadata.namespace ?? null : undefined;
}

function namespaceWords(namespace: string | null | undefined): string {
  return namespace === undefined || namespace === null ? 'no namespace' : `namespace '${namespace}'`;
}

/** Object names the API server accepts, each watched once, in the pod's namespace (a pod mounts no other). */
function checkWatched(watched: Watched[], namespace: string | undefined, fail: Fail) {
  const seen = new Set<string>();
  for (const w of watched) {
    if (!isDnsSubdomain(w.name)) {
      fail('RELOADER_WATCH_INVALID', `'${w.name}' is not a valid ${w.label} name`,
        'watch ConfigMaps and Secrets by their Kubernetes names (lower-case letters, digits, \'-\' and \'.\')');
    }
    // An object the app defines must be in the pod's namespace, both set or both unset.
    if (w.namespace !== undefined && (w.namespace ?? undefined) !== namespace) {
      fail('RELOADER_WATCH_INVALID', `${w.label} '${w.name}' is in ${namespaceWords(w.namespace)}, the workload in ${namespaceWords(namespace)}`,
        'watch ConfigMaps and Secrets of the workload\'s namespace (a pod can mount no other)');
    }
    const key = `${w.kind}/${w.name}`;
    if (seen.has(key)) {
      fail('RELOADER_WATCH_INVALID', `${w.label} '${w.name}' is watched twice`, 'list each ConfigMap and Secret once');
    }
    seen.add(key);
  }
}

function checkWebhookUrl(value: string, fail: Fail): string {
  const invalid = (problem: string, fix = 'pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\''): never =>
    fail('RELOADER_WEBHOOK_INVALID', problem, fix);
  if (typeof value !== 'string' || /[\s"'\\]/.test(value)) {
    invalid(`webhook URL '${value}' contains whitespace, quotes or backslashes`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid(`webhook URL '${value}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    invalid(`webhook URL '${value}' is not http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    invalid(`webhook URL '${value}' carries credentials, which would be readable in the pod spec`,
      'call an endpoint that needs no credentials in the URL (the reloader runs in the pod, next to the app)');
  }
  return value;
}
