import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AlertPack, CloudSqlProxySidecar, EnvoySidecar, FluentBitSidecar, GitSyncSidecar, OpenTelemetryCollectorSidecar, ReloaderSidecar, Sidecar,
  SidecarAlerts, SidecarAlertsProps, SidecarImages, SidecarMode, SidecarProfile, StatsdExporterSidecar, VaultAgentSidecar,
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

  for (const tool of TOOLS) scraped(chart, tool, web);
  scraped(chart, { ...FLUENT_BIT, id: 'job-logs' }, batch);
  new Sidecar(chart, 'shipper', {
    workload: legacy,
    name: 'log-shipper',
    image: 'busybox:1.36',
    mode: SidecarMode.LEGACY,
  });
  return chart;
}

/** A sidecar as a named sidecar declares it to the alerts: container name, pack, metrics port and path. */
interface Tool {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly pack: AlertPack;
  readonly profile?: SidecarProfile;
  readonly port: string;
  readonly number: number;
  readonly path: string;
}

const FLUENT_BIT: Tool = {
  id: 'logs',
  name: 'fluent-bit',
  image: SidecarImages.FLUENT_BIT,
  pack: FluentBitSidecar.ALERT_PACK,
  profile: SidecarProfile.LOG_COLLECTOR,
  port: 'fluent-bit',
  number: 2020,
  path: '/api/v2/metrics/prometheus',
};

const TOOLS: Tool[] = [
  FLUENT_BIT,
  { id: 'proxy', name: 'envoy', image: SidecarImages.ENVOY, pack: EnvoySidecar.ALERT_PACK, profile: SidecarProfile.PROXY, port: 'envoy-stats', number: 15090, path: '/stats/prometheus' },
  {
    id: 'secrets',
    name: 'vault-agent',
    image: SidecarImages.VAULT,
    pack: VaultAgentSidecar.ALERT_PACK,
    profile: SidecarProfile.SECRET_INJECTION,
    port: 'agent-listener',
    number: 8100,
    path: '/agent/v1/metrics?format=prometheus',
  },
  {
    id: 'reloader',
    name: 'config-reloader',
    image: SidecarImages.CONFIGMAP_RELOAD,
    pack: ReloaderSidecar.ALERT_PACK,
    profile: SidecarProfile.CONFIG_RELOAD,
    port: 'reload-metrics',
    number: 9533,
    path: '/metrics',
  },
  {
    id: 'statsd',
    name: 'statsd-exporter',
    image: SidecarImages.STATSD_EXPORTER,
    pack: StatsdExporterSidecar.ALERT_PACK,
    profile: SidecarProfile.METRICS_EXPORTER,
    port: 'statsd-metrics',
    number: 9102,
    path: '/metrics',
  },
  {
    id: 'cloudsql',
    name: 'cloud-sql-proxy',
    image: SidecarImages.CLOUD_SQL_PROXY,
    pack: CloudSqlProxySidecar.ALERT_PACK,
    profile: SidecarProfile.PROXY,
    port: 'cloudsql-http',
    number: 9801,
    path: '/metrics',
  },
  { id: 'content', name: 'git-sync', image: SidecarImages.GIT_SYNC, pack: GitSyncSidecar.ALERT_PACK, port: 'git-sync', number: 9422, path: '/metrics' },
  {
    id: 'telemetry',
    name: 'otel-collector',
    image: SidecarImages.OTEL_COLLECTOR,
    pack: OpenTelemetryCollectorSidecar.ALERT_PACK,
    profile: SidecarProfile.LOG_COLLECTOR,
    port: 'otel-metrics',
    number: 8888,
    path: '/metrics',
  },
];

function scraped(chart: Chart, tool: Tool, workload: kplus.AbstractPod) {
  new Sidecar(chart, tool.id, {
    workload,
    name: tool.name,
    image: tool.image,
    alertPack: tool.pack,
    profile: tool.profile,
    ports: [{ name: tool.port, number: tool.number }],
    metrics: { portName: tool.port, path: tool.path },
  });
}
