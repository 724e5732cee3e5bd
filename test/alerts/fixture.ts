import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CloudSqlProxySidecar, EnvoySidecar, FluentBitSidecar, OpenTelemetryCollectorSidecar, ReloaderSidecar, Sidecar, SidecarAlerts,
  SidecarAlertsProps, SidecarMode, SidecarProfile, GitSyncSidecar, StatsdExporterSidecar, VaultAgentSidecar,
} from '../../src';

/**
 * The chart whose rendered PrometheusRule the promtool tests run against: every
 * sidecar kind as the named sidecars declare it (container name, metrics port and
 * path), native on a Deployment and a Job, plus one legacy sidecar.
 */
export function alertsFixture(props: SidecarAlertsProps = { labels: { release: 'prometheus' } }): Chart {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'production' });
  const app = [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }];
  const web = new kplus.Deployment(chart, 'web', { containers: app });
  const batch = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });
  const legacy = new kplus.Deployment(chart, 'legacy-web', { containers: app });

  // Created before the sidecars: SidecarAlerts collects them at synth.
  new SidecarAlerts(chart, 'alerts', props);

  fluentBit(chart, 'logs', web);
  fluentBit(chart, 'job-logs', batch);
  new Sidecar(chart, 'proxy', {
    workload: web,
    name: 'envoy',
    image: 'envoyproxy/envoy:v1.33.2',
    alertPack: EnvoySidecar.ALERT_PACK,
    profile: SidecarProfile.PROXY,
    ports: [{ name: 'envoy-stats', number: 15090 }],
    metrics: { portName: 'envoy-stats', path: '/stats/prometheus' },
  });
  new Sidecar(chart, 'secrets', {
    workload: web,
    name: 'vault-agent',
    image: 'hashicorp/vault:1.19.0',
    alertPack: VaultAgentSidecar.ALERT_PACK,
    profile: SidecarProfile.SECRET_INJECTION,
    ports: [{ name: 'agent-listener', number: 8100 }],
    metrics: { portName: 'agent-listener', path: '/agent/v1/metrics?format=prometheus' },
  });
  new Sidecar(chart, 'reloader', {
    workload: web,
    name: 'config-reloader',
    image: 'ghcr.io/jimmidyson/configmap-reload:v0.14.0',
    alertPack: ReloaderSidecar.ALERT_PACK,
    profile: SidecarProfile.CONFIG_RELOAD,
    ports: [{ name: 'reload-metrics', number: 9533 }],
    metrics: { portName: 'reload-metrics', path: '/metrics' },
  });
  new Sidecar(chart, 'statsd', {
    workload: web,
    name: 'statsd-exporter',
    image: 'prom/statsd-exporter:v0.28.0',
    alertPack: StatsdExporterSidecar.ALERT_PACK,
    profile: SidecarProfile.METRICS_EXPORTER,
    ports: [{ name: 'statsd-metrics', number: 9102 }],
    metrics: { portName: 'statsd-metrics', path: '/metrics' },
  });
  new Sidecar(chart, 'cloudsql', {
    workload: web,
    name: 'cloud-sql-proxy',
    image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3',
    alertPack: CloudSqlProxySidecar.ALERT_PACK,
    profile: SidecarProfile.PROXY,
    ports: [{ name: 'cloudsql-http', number: 9801 }],
    metrics: { portName: 'cloudsql-http', path: '/metrics' },
  });
  new Sidecar(chart, 'content', {
    workload: web,
    name: 'git-sync',
    image: 'registry.k8s.io/git-sync/git-sync:v4.7.1',
    alertPack: GitSyncSidecar.ALERT_PACK,
    ports: [{ name: 'git-sync', number: 9422 }],
    metrics: { portName: 'git-sync', path: '/metrics' },
  });
  new Sidecar(chart, 'telemetry', {
    workload: web,
    name: 'otel-collector',
    image: 'otel/opentelemetry-collector:0.159.0',
    alertPack: OpenTelemetryCollectorSidecar.ALERT_PACK,
    profile: SidecarProfile.LOG_COLLECTOR,
    ports: [{ name: 'otel-metrics', number: 8888 }],
    metrics: { portName: 'otel-metrics', path: '/metrics' },
  });
  new Sidecar(chart, 'shipper', {
    workload: legacy,
    name: 'log-shipper',
    image: 'busybox:1.36',
    mode: SidecarMode.LEGACY,
  });
  return chart;
}

function fluentBit(chart: Chart, id: string, workload: kplus.AbstractPod) {
  new Sidecar(chart, id, {
    workload,
    name: 'fluent-bit',
    image: 'fluent/fluent-bit:3.2.10',
    alertPack: FluentBitSidecar.ALERT_PACK,
    profile: SidecarProfile.LOG_COLLECTOR,
    ports: [{ name: 'fluent-bit', number: 2020 }],
    metrics: { portName: 'fluent-bit', path: '/api/v2/metrics/prometheus' },
  });
}
