import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { STATSD_EXPORTER_ALERT_PACK } from './alerts';
import { STATSD_EXPORTER_DASHBOARD_PACK } from './dashboard';
import { StatsdMapping } from './mapping';
import { DEFAULT_NAME, DEFAULT_STATSD_PORT, statsdExporterSpec } from './spec';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

/**
 * Properties of a StatsdExporterSidecar.
 */
export interface StatsdExporterSidecarProps extends SidecarOptions {
  /**
   * The pod to add the exporter to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * Mapping rules. The exporter tries every glob rule before any regex rule, whatever
   * their order here: a StatsD name a glob rule matches never reaches a regex rule.
   * Among glob rules the first match in order wins; among regex rules, the first regex
   * that matches anywhere in the name (regexes are not anchored: add `^...$`).
   *
   * @default - none: metric names are converted by the exporter's default rules
   */
  readonly mappings?: StatsdMapping[];

  /**
   * The port the app sends StatsD lines to, on UDP (and TCP).
   *
   * @default 9125
   */
  readonly statsdPort?: number;

  /**
   * The address the exporter listens on for StatsD: `127.0.0.1` (only the pod's own
   * containers can send) or `0.0.0.0` (other pods too); `::1` and `::` for IPv6 (the app
   * then gets `STATSD_HOST=::1`).
   *
   * @default '127.0.0.1'
   */
  readonly statsdAddress?: string;

  /**
   * Also accept StatsD over TCP, on the same port number.
   *
   * @default true
   */
  readonly tcp?: boolean;

  /**
   * The port of the Prometheus metrics.
   *
   * @default 9102
   */
  readonly metricsPort?: number;

  /**
   * The app's environment variable with the exporter's host.
   *
   * @default 'STATSD_HOST'
   */
  readonly hostEnvName?: string;

  /**
   * The app's environment variable with the StatsD port.
   *
   * @default 'STATSD_PORT'
   */
  readonly portEnvName?: string;

  /**
   * The statsd-exporter image.
   *
   * @default SidecarImages.STATSD_EXPORTER
   */
  readonly image?: string;
}

/**
 * App metrics over StatsD, exported for Prometheus: prom/statsd-exporter next to
 * the app.
 *
 * - StatsD on `127.0.0.1:9125`, UDP (port `statsd-udp`) and TCP (`statsd-tcp`);
 *   the app gets `STATSD_HOST=127.0.0.1` and `STATSD_PORT=9125`.
 * - Prometheus metrics on the named port `statsd-metrics` (9102, `/metrics`).
 * - Typed mapping rules rendered to `mapping.yaml` in a ConfigMap (id `Resource`),
 *   mounted read-only at `/etc/statsd-exporter` (`--statsd.mapping-config`);
 *   every rule is checked the way the exporter checks it at start.
 * - Does not gate the app's start (StatsD over UDP is fire and forget); readiness
 *   on `/-/ready`, liveness on `/-/healthy`. In NATIVE mode it stops in parallel with
 *   the app at deletion (its preStop sends it SIGTERM).
 * - METRICS_EXPORTER resources (20m/32Mi, limits 100m/128Mi); runs as uid/gid
 *   65534, the image's own user (`USER 65534`); read-only root filesystem.
 *
 * Image: `prom/statsd-exporter:v0.28.0`. Container name `statsd-exporter`. In
 * LEGACY mode it is an ordinary container, so a LEGACY exporter on a Job or
 * CronJob is refused (use NATIVE there).
 */
export class StatsdExporterSidecar extends Sidecar {
  /** The exporter's alerts (StatsdExporterErrors), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = STATSD_EXPORTER_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = STATSD_EXPORTER_DASHBOARD_PACK;

  /** The StatsD port the app sends to. */
  public readonly statsdPort: number;

  public constructor(scope: Construct, id: string, props: StatsdExporterSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, statsdExporterSpec));
    this.statsdPort = props.statsdPort ?? DEFAULT_STATSD_PORT;
  }
}
