import { Chart, ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  EnvoySidecar, FluentBitOutput, FluentBitSidecar, ReloaderSidecar, SidecarAlerts, SidecarDashboards, StatsdExporterSidecar, VaultAgentSidecar,
} from '../src';

/**
 * Alerts for a shop's sidecars that fire
 * on the real metrics, and the PodMonitor that scrapes them.
 *
 * The web Deployment has Fluent Bit, Vault Agent and Envoy, a config reloader and a
 * StatsD exporter; a nightly Job has its own Fluent Bit. SidecarAlerts
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

    // Grafana dashboards from the same metrics: an overview and one per sidecar kind,
    // ConfigMaps that kube-prometheus-stack's Grafana sidecar loads into the 'Shop' folder.
    new SidecarDashboards(this, 'dashboards', { folder: 'Shop' });

    // The named sidecars declare their kind and metrics endpoint themselves.
    for (const workload of [web, nightly]) {
      new FluentBitSidecar(this, `${workload.node.id}-logs`, {
        workload,
        clusterName: 'production',
        outputs: [FluentBitOutput.forward({ host: 'fluentd-aggregator.logging', port: 24224 })],
      });
    }
    new VaultAgentSidecar(this, 'secrets', {
      workload: web,
      role: 'myapp-role',
      secrets: [{ name: 'db-creds', path: 'database/creds/myapp-db' }],
    });
    new EnvoySidecar(this, 'proxy', {
      workload: web,
      appPort: 8080,
      upstreams: [{ name: 'checkout', host: 'checkout.production.svc.cluster.local', port: 80, domains: ['checkout'] }],
    });
    const config = new kplus.ConfigMap(this, 'config', { data: { 'app.yaml': 'log_level: info\n' } });
    new ReloaderSidecar(this, 'reloader', {
      workload: web,
      configMaps: [config],
      webhookUrl: 'http://127.0.0.1:8080/-/reload',
    });
    new StatsdExporterSidecar(this, 'statsd', { workload: web });
  }
}
