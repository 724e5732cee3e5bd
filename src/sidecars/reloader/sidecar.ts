import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { RELOADER_ALERT_PACK } from './alerts';
import { RELOADER_DASHBOARD_PACK } from './dashboard';
import { DEFAULT_NAME, reloaderSpec } from './spec';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

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
   * ConfigMaps to watch, in the workload's namespace. Each is mounted, as a whole
   * volume, read-only into the app at `<configMapsDir>/<name>` and into the reloader.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly configMaps?: kplus.IConfigMap[];

  /**
   * Secrets to watch, in the workload's namespace. Each is mounted, as a whole
   * volume, read-only into the app at `<secretsDir>/<name>` and into the reloader.
   *
   * @default - none (but at least one ConfigMap or Secret)
   */
  readonly secrets?: kplus.ISecret[];

  /**
   * The directory of the app under which each watched ConfigMap is mounted.
   *
   * @default '/etc/config'
   */
  readonly configMapsDir?: string;

  /**
   * The directory of the app under which each watched Secret is mounted.
   *
   * @default '/etc/secrets'
   */
  readonly secretsDir?: string;

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
 *   in the reloader. The volumes must see updates: the pod refuses a subPath mount
 *   of watched content, under any volume name.
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
  /** The reloader's alerts (ConfigReloaderFailing), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = RELOADER_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = RELOADER_DASHBOARD_PACK;

  /** The webhook the reloader calls. */
  public readonly webhookUrl: string;

  public constructor(scope: Construct, id: string, props: ReloaderSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, reloaderSpec));
    this.webhookUrl = props.webhookUrl;
  }
}
