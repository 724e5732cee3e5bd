import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { OTEL_COLLECTOR_ALERT_PACK } from './alerts';
import { OTEL_COLLECTOR_DASHBOARD_PACK } from './dashboard';
import { OtelAppProtocol, OtelExporter } from './exporters';
import { CONFIG_FILE, DEFAULT_DRAIN_TIME, DEFAULT_GRPC_PORT, DEFAULT_HTTP_PORT, DEFAULT_NAME, otelCollectorSpec } from './spec';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

/**
 * Properties of an OpenTelemetryCollectorSidecar.
 */
export interface OpenTelemetryCollectorSidecarProps extends SidecarOptions {
  /**
   * The pod to add the collector to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * Where the collector sends telemetry (at least one). Each exporter joins the
   * pipelines of the signals it takes; a signal no exporter takes has no pipeline.
   */
  readonly exporters: OtelExporter[];

  /**
   * The OTLP/gRPC receiver's port, on 127.0.0.1.
   *
   * @default 4317
   */
  readonly grpcPort?: number;

  /**
   * The OTLP/HTTP receiver's port, on 127.0.0.1.
   *
   * @default 4318
   */
  readonly httpPort?: number;

  /**
   * The port of the collector's own metrics (internal telemetry, Prometheus format).
   *
   * @default 8888
   */
  readonly metricsPort?: number;

  /**
   * The port of the `health_check` extension, on 0.0.0.0 for the kubelet's probes.
   *
   * @default 13133
   */
  readonly healthPort?: number;

  /**
   * The protocol the app's SDK speaks: `OTEL_EXPORTER_OTLP_PROTOCOL`, and the receiver
   * `OTEL_EXPORTER_OTLP_ENDPOINT` points at.
   *
   * @default OtelAppProtocol.HTTP_PROTOBUF
   */
  readonly appProtocol?: OtelAppProtocol;

  /**
   * The app's environment variable with the collector's OTLP endpoint.
   *
   * @default 'OTEL_EXPORTER_OTLP_ENDPOINT'
   */
  readonly endpointEnvName?: string;

  /**
   * The app's environment variable with the OTLP protocol.
   *
   * @default 'OTEL_EXPORTER_OTLP_PROTOCOL'
   */
  readonly protocolEnvName?: string;

  /**
   * Scrape the app's Prometheus metrics on this port (127.0.0.1) into the metrics
   * pipeline. Needs an exporter that takes metrics.
   *
   * @default - the app's metrics are not scraped
   */
  readonly appMetricsPort?: number;

  /**
   * The path of the app's Prometheus metrics.
   *
   * @default '/metrics'
   */
  readonly appMetricsPath?: string;

  /**
   * How often the app's metrics are scraped (whole seconds).
   *
   * @default Duration.seconds(30)
   */
  readonly appMetricsInterval?: Duration;

  /**
   * Resource attributes added to every span, metric and log record (the pod's
   * namespace, name, uid and node are always added, from the Downward API).
   *
   * @default - the Downward API attributes only
   */
  readonly resourceAttributes?: { [key: string]: string };

  /**
   * The batch processor's size trigger and upper bound (spans, points or records).
   *
   * @default 8192
   */
  readonly batchSize?: number;

  /**
   * The batch processor's timeout: a batch is sent at the latest after this long.
   *
   * @default Duration.millis(200)
   */
  readonly batchTimeout?: Duration;

  /**
   * The time the collector gets after the app has exited to flush its batches and
   * drain its sending queues (whole seconds): the sidecar's shutdown budget. Every
   * exporter's `timeout` must fit in it.
   *
   * @default Duration.seconds(10)
   */
  readonly drainTime?: Duration;

  /**
   * Hold the app's start until the collector is ready (a startup probe on the health
   * check). Only for an app that must not lose its very first spans: the OTel SDKs
   * buffer and retry their first exports, and every gated sidecar delays the pod's start.
   *
   * @default false
   */
  readonly gateAppStart?: boolean;

  /**
   * The collector image (the core distribution or a build with the same components).
   *
   * @default SidecarImages.OTEL_COLLECTOR
   */
  readonly image?: string;
}

/**
 * An OpenTelemetry Collector next to the app: the app's SDK sends OTLP to localhost,
 * the collector batches, adds the pod's identity and exports.
 *
 * - OTLP receivers on `127.0.0.1:4317` (gRPC, port `otlp-grpc`) and `127.0.0.1:4318`
 *   (HTTP, `otlp-http`); the app gets `OTEL_EXPORTER_OTLP_ENDPOINT` and
 *   `OTEL_EXPORTER_OTLP_PROTOCOL` (a value the app already sets is kept).
 * - A generated `config.yaml` in a ConfigMap (id `Resource`), mounted read-only at
 *   `/etc/otel-collector`: typed exporters (`otlp_grpc`, `otlp_http`,
 *   `prometheusremotewrite`, `debug`), pipelines per signal through `memory_limiter`
 *   (sized from the container's memory limit, with `GOMEMLIMIT`), a `resource`
 *   processor with the pod's namespace, name, uid and node from the Downward API, and
 *   `batch`. Header values from Secrets reach the collector as environment variables,
 *   never the ConfigMap; TLS material is mounted from Secrets. A config change rolls the pods.
 * - The `health_check` extension on `0.0.0.0:13133` (`otel-health`) for readiness and
 *   liveness (and startup with `gateAppStart`); the collector's own metrics on
 *   `0.0.0.0:8888` (`otel-metrics`, `/metrics`), which the alert pack reads.
 * - LOG_COLLECTOR resources (50m/64Mi, limits 200m/256Mi) and start rank 100 (up before
 *   other sidecars and init containers, so their telemetry has somewhere to go); runs as
 *   uid/gid 10001, the image's own user; read-only root filesystem.
 * - Shutdown: after the app exits, SIGTERM flushes the batches and drains the queues
 *   within `drainTime` (10 s), which the grace period covers.
 *
 * Image: `otel/opentelemetry-collector:0.159.0`. Container name `otel-collector`. On
 * Jobs and CronJobs use NATIVE mode (the collector stops after the app and the Job
 * completes); a LEGACY collector there is refused, as it would never exit.
 */
export class OpenTelemetryCollectorSidecar extends Sidecar {
  /** The collector's alerts, for a `Sidecar` of your own running a collector. */
  public static readonly ALERT_PACK: AlertPack = OTEL_COLLECTOR_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = OTEL_COLLECTOR_DASHBOARD_PACK;

  /** The OTLP/gRPC port on 127.0.0.1. */
  public readonly grpcPort: number;

  /** The OTLP/HTTP port on 127.0.0.1. */
  public readonly httpPort: number;

  /** The time the collector gets after the app has exited. */
  public readonly drainTime: Duration;

  public constructor(scope: Construct, id: string, props: OpenTelemetryCollectorSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, otelCollectorSpec));
    this.grpcPort = props.grpcPort ?? DEFAULT_GRPC_PORT;
    this.httpPort = props.httpPort ?? DEFAULT_HTTP_PORT;
    this.drainTime = props.drainTime ?? DEFAULT_DRAIN_TIME;
  }

  /** The collector's config file, as mounted (YAML). */
  public get config(): string {
    return this.configMap!.data[CONFIG_FILE];
  }
}
