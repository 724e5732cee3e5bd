import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Sidecar, SidecarAlerts, SidecarImages, SidecarKind, SidecarProfile } from '../src';

/**
 * Seed 000's "Prometheus 监控规则", fixed: alerts for a shop's sidecars that fire
 * on the real metrics, and the PodMonitor that scrapes them.
 *
 * The web Deployment has a log collector, a secret injector, a proxy, a config
 * reloader and a StatsD exporter (as generic sidecars declaring each tool's kind,
 * metrics port and path); a nightly Job has its own log collector. SidecarAlerts
 * renders one PrometheusRule for all of them, labelled for the kube-prometheus-stack
 * release `prometheus`.
 */
export class AlertsChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);

    const web = new kplus.Deployment(this, 'web', {
      replicas: 3,
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080, securityContext: { user: 1000, group: 1000 } }],
    });
    const nightly = new kplus.Job(this, 'nightly-report', {
      containers: [{ name: 'report', image: 'myapp:v1.0.0', command: ['/app/report'], securityContext: { user: 1000, group: 1000 } }],
    });

    new SidecarAlerts(this, 'alerts', {
      labels: { release: 'prometheus' },
      alertLabels: { team: 'shop' },
      overrides: {
        FluentBitBacklogHigh: { threshold: 50000 },
        EnvoyUpstream5xxHigh: { threshold: 0.02, pendingFor: Duration.minutes(10) },
      },
      rules: [{
        alert: 'ShopCheckoutErrors',
        expr: 'sum(rate(envoy_cluster_upstream_rq_xx{namespace="production", container="envoy", envoy_cluster_name="checkout", envoy_response_code_class="5"}[5m])) > 1',
        summary: 'Checkout requests fail.',
        pendingFor: Duration.minutes(5),
      }],
    });

    for (const workload of [web, nightly]) {
      new Sidecar(this, `${workload.node.id}-logs`, {
        workload,
        name: 'fluent-bit',
        image: SidecarImages.FLUENT_BIT,
        kind: SidecarKind.FLUENT_BIT,
        profile: SidecarProfile.LOG_COLLECTOR,
        ports: [{ name: 'fluent-bit', number: 2020 }],
        metrics: { portName: 'fluent-bit', path: '/api/v2/metrics/prometheus' },
      });
    }
    new Sidecar(this, 'secrets', {
      workload: web,
      name: 'vault-agent',
      image: SidecarImages.VAULT,
      kind: SidecarKind.VAULT_AGENT,
      profile: SidecarProfile.SECRET_INJECTION,
      ports: [{ name: 'agent-listener', number: 8100 }],
      metrics: { portName: 'agent-listener', path: '/agent/v1/metrics?format=prometheus' },
    });
    new Sidecar(this, 'proxy', {
      workload: web,
      name: 'envoy',
      image: SidecarImages.ENVOY,
      kind: SidecarKind.ENVOY,
      profile: SidecarProfile.PROXY,
      ports: [{ name: 'envoy-stats', number: 15090 }],
      metrics: { portName: 'envoy-stats', path: '/stats/prometheus' },
    });
    new Sidecar(this, 'reloader', {
      workload: web,
      name: 'config-reloader',
      image: SidecarImages.CONFIGMAP_RELOAD,
      kind: SidecarKind.CONFIG_RELOADER,
      profile: SidecarProfile.CONFIG_RELOAD,
      ports: [{ name: 'reload-metrics', number: 9533 }],
      metrics: { portName: 'reload-metrics', path: '/metrics' },
    });
    new Sidecar(this, 'statsd', {
      workload: web,
      name: 'statsd-exporter',
      image: SidecarImages.STATSD_EXPORTER,
      kind: SidecarKind.STATSD_EXPORTER,
      profile: SidecarProfile.METRICS_EXPORTER,
      ports: [{ name: 'statsd-metrics', number: 9102 }],
      metrics: { portName: 'statsd-metrics', path: '/metrics' },
    });
  }
}
