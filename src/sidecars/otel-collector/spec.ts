import { Duration, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { OTEL_COLLECTOR_ALERT_PACK } from './alerts';
import { renderCollectorConfig } from './config';
import { OTEL_COLLECTOR_DASHBOARD_PACK } from './dashboard';
import { OtelAppProtocol } from './exporters';
import type { OpenTelemetryCollectorSidecarProps } from './sidecar';
import { shown, wholeMillis } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';

export const DEFAULT_NAME = 'otel-collector';
export const DEFAULT_GRPC_PORT = 4317;
export const DEFAULT_HTTP_PORT = 4318;
const DEFAULT_METRICS_PORT = 8888;
const DEFAULT_HEALTH_PORT = 13133;
export const DEFAULT_DRAIN_TIME = Duration.seconds(10);
/** The resource profile: a telemetry pipeline, sized and ranked like the log collector. */
const PROFILE = SidecarProfile.LOG_COLLECTOR;
const METRICS_PORT_NAME = 'otel-metrics';
const CONFIG_DIR = '/etc/otel-collector';
export const CONFIG_FILE = 'config.yaml';
/**
 * otel/opentelemetry-collector runs as `USER 10001:10001` (a scratch image):
 * opentelemetry-collector-releases, distributions/otelcol/Dockerfile:6-8 at v0.159.0.
 */
const OTELCOL_UID = 10001;
/** Below this, the memory limiter and the Go runtime have no room (the process needs ~50 MiB over its heap). */
const MIN_MEMORY_MIB = 64;

/**
 * The OpenTelemetry Collector as a sidecar spec. The collector reads its config only at
 * start: the core rolls the pods when it changes (the operator does not: its issue #2078).
 */
export function otelCollectorSpec(props: OpenTelemetryCollectorSidecarProps, { name, checks, fail }: SpecContext): SidecarSpec {
  const grpcPort = checks.port('grpcPort', props.grpcPort ?? DEFAULT_GRPC_PORT);
  const httpPort = checks.port('httpPort', props.httpPort ?? DEFAULT_HTTP_PORT);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? DEFAULT_METRICS_PORT);
  const healthPort = checks.port('healthPort', props.healthPort ?? DEFAULT_HEALTH_PORT);
  const appMetricsPort = props.appMetricsPort === undefined ? undefined : checks.port('appMetricsPort', props.appMetricsPort);
  checks.distinctPorts({ grpcPort, httpPort, metricsPort, healthPort, ...(appMetricsPort === undefined ? {} : { appMetricsPort }) });
  const appMetricsPath = checks.absolutePath('appMetricsPath', props.appMetricsPath ?? '/metrics');
  const appMetricsInterval = checks.seconds('appMetricsInterval', props.appMetricsInterval ?? Duration.seconds(30), 1);
  const drainSeconds = checks.seconds('drainTime', props.drainTime ?? DEFAULT_DRAIN_TIME, 1);
  const batchSize = checks.integer('batchSize', props.batchSize ?? 8192, 1, 1_000_000);
  const batchTimeoutMs = batchTimeoutMillis(props.batchTimeout ?? Duration.millis(200));
  if (batchTimeoutMs === undefined || batchTimeoutMs > drainSeconds * 1000) {
    fail('OTEL_BATCH_INVALID', `'batchTimeout' is not a whole number of milliseconds from 1 to the drain time (${drainSeconds}s)`,
      'pass e.g. Duration.millis(200) as \'batchTimeout\'');
  }
  const appProtocol = checks.oneOf('appProtocol', props.appProtocol ?? OtelAppProtocol.HTTP_PROTOBUF, OtelAppProtocol, 'OtelAppProtocol');
  const endpointEnvName = checks.envName('endpointEnvName', props.endpointEnvName ?? 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const protocolEnvName = checks.envName('protocolEnvName', props.protocolEnvName ?? 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (endpointEnvName === protocolEnvName) {
    fail('OTEL_APP_ENV_INVALID', `'endpointEnvName' and 'protocolEnvName' are both ${shown(endpointEnvName)}`, 'give the endpoint and the protocol different variables');
  }

  // memory_limiter and GOMEMLIMIT come from the container's memory limit (the profile's,
  // or the user's override).
  const resources = checks.resources(PROFILE.resources(props.resources));
  const memoryLimitMib = Math.floor(resources.memory!.limit!.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR }));
  if (!(memoryLimitMib >= MIN_MEMORY_MIB)) {
    fail('OTEL_MEMORY_INVALID', `the memory limit ${memoryLimitMib}Mi leaves the collector no room for its memory limiter (at least ${MIN_MEMORY_MIB}Mi)`,
      `raise 'resources.memory.limit' to at least Size.mebibytes(${MIN_MEMORY_MIB})`);
  }

  const config = renderCollectorConfig({
    containerName: name,
    exporters: props.exporters,
    grpcPort,
    httpPort,
    metricsPort,
    healthPort,
    memoryLimitMib,
    batchSize,
    batchTimeoutMs: batchTimeoutMs!,
    drainSeconds,
    resourceAttributes: props.resourceAttributes ?? {},
    appMetrics: appMetricsPort === undefined ? undefined : { port: appMetricsPort, path: appMetricsPath, intervalSeconds: appMetricsInterval },
  }, fail);

  // The health_check extension answers 200 once every pipeline has started, 503 before
  // and while shutting down.
  const probe = (periodSeconds: number, failureThreshold: number) => kplus.Probe.fromHttpGet('/', {
    port: healthPort,
    periodSeconds: Duration.seconds(periodSeconds),
    timeoutSeconds: Duration.seconds(1),
    failureThreshold,
  });
  const appPort = appProtocol === OtelAppProtocol.GRPC ? grpcPort : httpPort;

  return {
    image: props.image ?? SidecarImages.OTEL_COLLECTOR,
    imageUser: OTELCOL_UID,
    imageGroup: OTELCOL_UID,
    kind: 'otel-collector',
    profile: PROFILE,
    alertPack: OTEL_COLLECTOR_ALERT_PACK,
    dashboardPack: OTEL_COLLECTOR_DASHBOARD_PACK,
    metrics: { portName: METRICS_PORT_NAME, path: '/metrics' },
    ports: [
      { name: 'otlp-grpc', number: grpcPort, prop: 'grpcPort' },
      { name: 'otlp-http', number: httpPort, prop: 'httpPort' },
      { name: METRICS_PORT_NAME, number: metricsPort, prop: 'metricsPort' },
      { name: 'otel-health', number: healthPort, prop: 'healthPort' },
    ],
    // otelcol/flags.go:15 (--config).
    args: [`--config=${CONFIG_DIR}/${CONFIG_FILE}`],
    envVariables: {
      ...config.env,
      GOMEMLIMIT: kplus.EnvValue.fromValue(`${config.goMemLimitMib}MiB`),
    },
    configFiles: { [CONFIG_FILE]: config.yaml },
    configDir: CONFIG_DIR,
    volumes: config.volumes,
    // Startup gating only on request: the SDKs buffer and retry their first exports, so
    // the app does not need the collector at start unless it must not lose a span.
    startup: props.gateAppStart ? probe(1, 30) : undefined,
    readiness: probe(5, 3),
    liveness: probe(10, 6),
    // After the app has exited: the receivers stop, the batch processor flushes, and the
    // exporters drain their queues with one attempt each (exporterhelper base_exporter.go:142-149).
    shutdownBudget: Duration.seconds(drainSeconds),
    appEnvVariables: {
      [endpointEnvName]: kplus.EnvValue.fromValue(`http://127.0.0.1:${appPort}`),
      [protocolEnvName]: kplus.EnvValue.fromValue(appProtocol),
    },
  };
}

/** The batch timeout in whole milliseconds, or undefined when it is not a positive whole number of them. */
function batchTimeoutMillis(timeout: Duration): number | undefined {
  const millis = wholeMillis(timeout);
  return millis !== undefined && millis > 0 ? millis : undefined;
}
