import { readFileSync } from 'fs';
import { join } from 'path';
import { parser } from '@prometheus-io/lezer-promql';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { alertsFixture } from './fixture';
import {
  AlertPack, AlertSeverity, AlertThresholdUnit, CloudSqlProxySidecar, EnvoySidecar, FluentBitSidecar, GitSyncSidecar,
  OpenTelemetryCollectorSidecar, ReloaderSidecar, Sidecar, SidecarAlerts, SidecarAlertsProps, SidecarMode, StatsdExporterSidecar, VaultAgentSidecar,
} from '../../src';
import { AlertTarget, matchers } from '../../src/alerts/_rules';
import { GENERIC_ALERT_PACK } from '../../src/alerts/generic-pack';
import { CADVISOR, EXPORTERS, KUBE_STATE_METRICS } from '../dashboards/provided-metrics';
import { find, newChart, podSpec, synth, webDeployment } from '../util';

const monitoring = (manifests: any[]) => manifests.filter(m => m.apiVersion === 'monitoring.coreos.com/v1');
const rulesOf = (manifests: any[]): any[] => find(manifests, 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules);
const ruleNamed = (manifests: any[], alert: string): any => {
  const found = rulesOf(manifests).filter(r => r.alert === alert);
  if (found.length !== 1) throw new Error(`expected one rule '${alert}', found ${found.length}`);
  return found[0];
};

function envoy(chart: Chart, workload: kplus.AbstractPod, props: { metrics?: boolean; id?: string } = {}) {
  return new Sidecar(chart, props.id ?? 'proxy', {
    workload,
    name: 'envoy',
    image: 'envoyproxy/envoy:v1.33.2',
    alertPack: EnvoySidecar.ALERT_PACK,
    ports: [{ name: 'envoy-stats', number: 15090 }],
    metrics: props.metrics === false ? undefined : { portName: 'envoy-stats', path: '/stats/prometheus' },
  });
}

describe('SidecarAlerts on a chart with every kind of sidecar', () => {
  // GIVEN sidecars of every kind, created after SidecarAlerts
  const manifests = synth(alertsFixture());
  const rule = find(manifests, 'PrometheusRule');
  const podMonitor = find(manifests, 'PodMonitor');

  test('renders a PrometheusRule and a PodMonitor (snapshot)', () => {
    expect(monitoring(manifests)).toMatchSnapshot();
  });

  test('the objects carry the labels the Prometheus selectors look for', () => {
    expect(rule.metadata.labels).toEqual({ release: 'prometheus' });
    expect(podMonitor.metadata.labels).toEqual({ release: 'prometheus' });
    expect(rule.metadata.namespace).toBe('production');
  });

  test('groups per sidecar kind, with the required alerts', () => {
    // The generic pack first, then each sidecar kind's pack by name.
    expect(rule.spec.groups.map((g: any) => g.name)).toEqual([
      'sidecar-containers', 'sidecar-cloud-sql-proxy', 'sidecar-config-reloader', 'sidecar-envoy', 'sidecar-fluent-bit',
      'sidecar-git-sync', 'sidecar-otel-collector', 'sidecar-statsd-exporter', 'sidecar-vault-agent',
    ]);
    expect(rulesOf(manifests).map(r => r.alert)).toEqual([
      'SidecarContainerRestarting', 'SidecarContainerCrashLooping', 'SidecarContainerNotReady',
      'SidecarStartupBlocked', 'SidecarOOMKilled', 'SidecarCpuThrottled', 'SidecarMemoryNearLimit',
      'CloudSqlProxyRefreshFailing', 'CloudSqlProxyDialFailures',
      'ConfigReloaderFailing',
      'EnvoyProxyUnhealthy', 'EnvoyUpstream5xxHigh', 'EnvoyCircuitBreakerOverflow', 'EnvoyUpstreamTlsHandshakeFailures', 'EnvoyOutlierEjectionOverflow',
      'FluentBitBacklogHigh', 'FluentBitPipelineStalled', 'FluentBitOutputRetriesFailed', 'FluentBitRecordsDropped',
      'GitSyncFailing', 'GitSyncContentStale', 'GitSyncWebhookFailing',
      'OtelCollectorExportFailed', 'OtelCollectorDataRefused', 'OtelCollectorQueueNearCapacity', 'OtelCollectorMemoryLimited',
      'StatsdExporterErrors',
      'VaultAgentAuthFailure',
    ]);
  });

  test('the generic alerts read only metrics kube-state-metrics and cAdvisor serve', () => {
    // The tools' own alert metrics: test/dashboards checks those of the OpenTelemetry Collector,
    // Cloud SQL Auth Proxy and git-sync packs against their exporters' lists.
    const generic = rule.spec.groups.find((g: any) => g.name === 'sidecar-containers').rules;
    const metrics = new Set<string>();
    for (const r of generic) {
      parser.parse(r.expr).iterate({
        enter: (n: any) => {
          const name = n.type.name === 'VectorSelector' ? n.node.getChild('Identifier') : null;
          if (name) metrics.add(r.expr.slice(name.from, name.to));
        },
      });
    }
    expect(metrics.size).toBeGreaterThan(10);
    expect([...metrics].filter(m => !(m in KUBE_STATE_METRICS) && !(m in CADVISOR))).toEqual([]);
  });

  test('every alert of every pack reads only metrics kube-state-metrics, cAdvisor or its own tool serves', () => {
    // Group `sidecar-<pack>`: a tool's pack may read the tool's metrics (EXPORTERS[<pack>], from
    // the tool's upstream source); the generic group `sidecar-containers` has no tool.
    const unprovided: string[] = [];
    const packs = new Set<string>();
    for (const group of rule.spec.groups) {
      const pack = group.name === 'sidecar-containers' ? undefined : group.name.replace(/^sidecar-/, '');
      const own = pack === undefined ? {} : EXPORTERS[pack];
      expect([group.name, own]).toEqual([group.name, expect.any(Object)]);
      if (pack !== undefined) packs.add(pack);
      for (const r of group.rules) {
        let errors = 0;
        parser.parse(r.expr).iterate({
          enter: (n: any) => {
            if (n.type.isError) errors++;
            const name = n.type.name === 'VectorSelector' ? n.node.getChild('Identifier') : null;
            if (!name) return;
            const metric = r.expr.slice(name.from, name.to);
            if (!(metric in KUBE_STATE_METRICS) && !(metric in CADVISOR) && !(metric in own)) unprovided.push(`${group.name} ${r.alert}: ${metric}`);
          },
        });
        expect([r.alert, errors]).toEqual([r.alert, 0]);
      }
    }
    expect(packs).toEqual(new Set(Object.keys(EXPORTERS)));
    expect(unprovided).toEqual([]);
  });

  test('every alert has a severity, a summary, a templated description and a runbook', () => {
    for (const r of rulesOf(manifests)) {
      expect(Object.values(AlertSeverity)).toContain(r.labels.severity);
      expect(r.annotations.summary).toMatch(/^[A-Z].*\.$/);
      expect(r.annotations.description).toContain('{{ $labels.namespace }}/{{ $labels.pod }}');
      expect(r.annotations.description).toContain('{{ $labels.container }}');
      expect(r.annotations.runbook_url).toBe(`https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#${r.alert.toLowerCase()}`);
    }
  });

  test('every generated alert has its runbook section in docs/runbooks.md', () => {
    const runbooks = readFileSync(join(__dirname, '..', '..', 'docs', 'runbooks.md'), 'utf8');
    const missing = rulesOf(manifests).map(r => r.alert).filter(alert => !runbooks.includes(`\n## ${alert}\n`));
    expect(missing).toEqual([]);
  });

  test('docs/alerts.md lists every generated alert with its severity and window', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');
    const rows = new Map(doc.split('\n').filter(l => /^\| [A-Z][A-Za-z0-9]+ \| (critical|warning|info) \|/.test(l))
      .map(l => l.split(' | ')).map(c => [c[0].slice(2), { severity: c[1], for: c[2] }]));
    for (const r of rulesOf(manifests)) {
      expect([r.alert, rows.get(r.alert)]).toEqual([r.alert, { severity: r.labels.severity, for: r.for ?? '—' }]);
    }
  });

  test('rules match the exact container names and namespace, never a guess', () => {
    for (const r of rulesOf(manifests)) {
      expect(r.expr).not.toContain('.*');
      expect(r.expr).toContain('namespace="production"');
    }
    expect(ruleNamed(manifests, 'EnvoyProxyUnhealthy').expr).toContain('envoy_server_state{namespace="production", container="envoy"} != 0');
  });

  test('native sidecars are read from the init container metrics, legacy ones from the container metrics', () => {
    const restarting = ruleNamed(manifests, 'SidecarContainerRestarting').expr;
    expect(restarting).toContain('kube_pod_init_container_status_restarts_total{namespace="production", container=~"cloud-sql-proxy|config-reloader|envoy|fluent-bit|git-sync|otel-collector|statsd-exporter|vault-agent"}');
    expect(restarting).toContain('kube_pod_container_status_restarts_total{namespace="production", container="log-shipper"}');
    const notReady = ruleNamed(manifests, 'SidecarContainerNotReady').expr;
    expect(notReady).toContain('restart_policy="Always"');
    expect(notReady).toContain('kube_pod_status_phase{phase="Running"} == 1');
    expect(notReady).toContain('unless on (namespace, pod) kube_pod_deletion_timestamp');
  });

  test('the Fluent Bit backlog compares the pod\'s input with each output\'s delivery', () => {
    const expr = ruleNamed(manifests, 'FluentBitBacklogHigh').expr;
    expect(expr).toContain('sum by (namespace, pod, container) (fluentbit_input_records_total{');
    // Per output (its `name`): a stalled output shows whatever the others deliver.
    expect(expr).toContain('- on (namespace, pod, container) group_right ()');
    expect(expr).toContain('sum by (namespace, pod, container, name) (fluentbit_output_proc_records_total{');
    expect(expr).not.toContain('fluentbit_output_records_total');
  });

  test('the PodMonitor scrapes each sidecar\'s named metrics port, labelled like kube-state-metrics', () => {
    const endpoints = podMonitor.spec.podMetricsEndpoints;
    expect(endpoints.map((e: any) => [e.relabelings[0].regex, e.port, e.path, e.params])).toEqual([
      ['cloud-sql-proxy', 'cloudsql-http', '/metrics', undefined],
      ['config-reloader', 'reload-metrics', '/metrics', undefined],
      ['envoy', 'envoy-stats', '/stats/prometheus', undefined],
      ['fluent-bit', 'fluent-bit', '/api/v2/metrics/prometheus', undefined],
      ['git-sync', 'git-sync', '/metrics', undefined],
      ['otel-collector', 'otel-metrics', '/metrics', undefined],
      ['statsd-exporter', 'statsd-metrics', '/metrics', undefined],
      ['vault-agent', 'agent-listener', '/agent/v1/metrics', { format: ['prometheus'] }],
    ]);
    for (const e of endpoints) {
      expect(e.relabelings[0]).toEqual({ action: 'keep', sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: e.relabelings[0].regex });
      expect(e.relabelings.slice(1).map((r: any) => [r.sourceLabels[0], r.targetLabel])).toEqual([
        ['__meta_kubernetes_namespace', 'namespace'],
        ['__meta_kubernetes_pod_name', 'pod'],
        ['__meta_kubernetes_pod_container_name', 'container'],
      ]);
    }
  });

  test('the PodMonitor selects the pods of the workloads with sidecars', () => {
    const pods = manifests.filter(m => ['Deployment', 'Job'].includes(m.kind) && m.metadata.name !== undefined);
    const scraped = pods.filter(m => !m.metadata.name.startsWith('shop-legacy-web'));
    expect(podMonitor.spec.selector).toEqual({
      matchExpressions: [{
        key: 'cdk8s.io/metadata.addr',
        operator: 'In',
        values: scraped.map(m => m.spec.template.metadata.labels['cdk8s.io/metadata.addr']).sort(),
      }],
    });
    expect(podMonitor.spec.namespaceSelector).toEqual({ matchNames: ['production'] });
  });
});

describe('SidecarAlerts renders what the sidecars present need', () => {
  test('generic sidecars only: the container alerts, and no PodMonitor (nothing to scrape)', () => {
    // GIVEN
    const chart = newChart();
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), name: 'rclone', image: 'rclone/rclone:1.68.2' });
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const manifests = synth(chart);
    // THEN
    expect(find(manifests, 'PrometheusRule').spec.groups.map((g: any) => g.name)).toEqual(['sidecar-containers']);
    expect(manifests.filter(m => m.kind === 'PodMonitor')).toEqual([]);
  });

  test('a tool sidecar without a metrics endpoint gets no tool alerts', () => {
    // GIVEN
    const chart = newChart();
    envoy(chart, webDeployment(chart), { metrics: false });
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const manifests = synth(chart);
    // THEN
    expect(rulesOf(manifests).map(r => r.alert)).toEqual([
      'SidecarContainerRestarting', 'SidecarContainerCrashLooping', 'SidecarContainerNotReady',
      'SidecarStartupBlocked', 'SidecarOOMKilled', 'SidecarCpuThrottled', 'SidecarMemoryNearLimit',
    ]);
  });

  test('a run-once init container is watched for restarts but not for readiness', () => {
    // GIVEN
    const chart = newChart();
    new Sidecar(chart, 'prepare', { workload: webDeployment(chart), name: 'prepare', image: 'busybox:1.36', runOnce: true });
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const manifests = synth(chart);
    // THEN
    expect(ruleNamed(manifests, 'SidecarContainerRestarting').expr).toContain('kube_pod_init_container_status_restarts_total{namespace="production", container="prepare"}');
    expect(rulesOf(manifests).map(r => r.alert)).not.toContain('SidecarContainerNotReady');
  });

  test('without a namespace the rules and the PodMonitor do not filter on one', () => {
    // GIVEN
    const chart = new Chart(Testing.app(), 'test');
    envoy(chart, webDeployment(chart));
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const manifests = synth(chart);
    // THEN
    expect(ruleNamed(manifests, 'EnvoyProxyUnhealthy').expr).toContain('envoy_server_state{container="envoy"}');
    expect(find(manifests, 'PodMonitor').spec.namespaceSelector).toBeUndefined();
  });

  // Found by the property-based tests: the chart's namespace went into the matchers unquoted.
  test('label matcher values are quoted and escaped: no value can add or widen a matcher', () => {
    // GIVEN targets whose names try to close the matcher or widen a regex (SidecarAlerts
    // refuses such namespaces first; the matchers do not rely on that)
    const target = (namespace: string) => ({ container: 'envoy', namespace, init: true, longRunning: true, scraped: true });
    // WHEN
    const one = matchers([target('a",container=~".*')]);
    const several = matchers([target('a",container=~".*'), target('b.c')]);
    // THEN each value is one string literal, and regex alternatives match literally
    expect(one).toBe('namespace="a\\",container=~\\".*", container="envoy"');
    expect(several).toBe('namespace=~"a\\",container=~\\"\\\\.\\\\*|b\\\\.c", container="envoy"');
    for (const m of [one, several]) {
      let error = false;
      parser.parse(`up{${m}}`).iterate({ enter: (n: any) => { if (n.type.isError) error = true; } });
      expect(error).toBe(false);
    }
  });

  test('a single workload is selected by its own selector; a Pod too', () => {
    // GIVEN
    const chart = newChart();
    const pod = new kplus.Pod(chart, 'pod', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    envoy(chart, pod);
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const manifests = synth(chart);
    // THEN
    const podManifest = find(manifests, 'Pod');
    expect(find(manifests, 'PodMonitor').spec.selector).toEqual({
      matchLabels: { 'cdk8s.io/metadata.addr': podManifest.metadata.labels['cdk8s.io/metadata.addr'] },
    });
  });

  test('sidecars in other charts are not in scope', () => {
    // GIVEN
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'production' });
    const b = new Chart(app, 'b', { namespace: 'production' });
    envoy(a, webDeployment(a));
    new Sidecar(b, 'sync', { workload: webDeployment(b), name: 'rclone', image: 'rclone/rclone:1.68.2' });
    new SidecarAlerts(b, 'alerts');
    // WHEN
    const manifests = synth(b);
    // THEN
    expect(rulesOf(manifests).every(r => !r.expr.includes('envoy'))).toBe(true);
  });

  test('many workloads: one rule per alert, each distinct expression parsed once', () => {
    // GIVEN 200 Deployments with an Envoy each, and a rule of our own used twice
    const parse = jest.spyOn(parser, 'parse');
    const rule = { alert: 'Many', expr: 'count(up{job="many-workloads"}) > 200', summary: 'Many.' };
    const synthOnce = () => {
      const chart = newChart();
      for (let i = 0; i < 200; i++) envoy(chart, webDeployment(chart, `web${i}`), { id: `proxy${i}` });
      new SidecarAlerts(chart, 'alerts', { rules: [rule] });
      return synth(chart);
    };
    // WHEN
    synthOnce();
    const manifests = synthOnce();
    // THEN
    expect(parse.mock.calls.filter(([expr]) => expr === rule.expr)).toHaveLength(1);
    parse.mockRestore();
    expect(rulesOf(manifests)).toHaveLength(13);
    const podMonitor = find(manifests, 'PodMonitor');
    expect(podMonitor.spec.podMetricsEndpoints).toHaveLength(1);
    expect(podMonitor.spec.selector.matchExpressions[0].values).toHaveLength(200);
  });
});

describe('SidecarAlerts props', () => {
  function alertsChart(props: SidecarAlertsProps): any[] {
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    new SidecarAlerts(chart, 'alerts', props);
    return synth(chart);
  }

  test('overrides change severity, window and threshold, or drop an alert', () => {
    // WHEN
    const manifests = alertsChart({
      overrides: {
        EnvoyProxyUnhealthy: { severity: AlertSeverity.WARNING, pendingFor: Duration.minutes(10) },
        SidecarContainerRestarting: { threshold: 5, pendingFor: Duration.seconds(90) },
        EnvoyUpstream5xxHigh: { threshold: 0.2, pendingFor: Duration.seconds(0) },
        EnvoyCircuitBreakerOverflow: { disabled: true },
      },
    });
    // THEN
    const unhealthy = ruleNamed(manifests, 'EnvoyProxyUnhealthy');
    expect(unhealthy.labels.severity).toBe('warning');
    expect(unhealthy.for).toBe('10m');
    const restarting = ruleNamed(manifests, 'SidecarContainerRestarting');
    expect(restarting.expr).toMatch(/\[1h\]\) > 5$/);
    expect(restarting.for).toBe('90s');
    const errors = ruleNamed(manifests, 'EnvoyUpstream5xxHigh');
    expect(errors.expr).toMatch(/> 0\.2$/);
    expect(errors.for).toBeUndefined();
    expect(rulesOf(manifests).map(r => r.alert)).not.toContain('EnvoyCircuitBreakerOverflow');
  });

  test('alert labels, object labels with a prefix, runbook base, evaluation interval', () => {
    // WHEN
    const manifests = alertsChart({
      labels: { 'prometheus.example.com/rules': 'sidecars', 'release': 'kube-prometheus-stack' },
      alertLabels: { team: 'platform' },
      runbookBaseUrl: 'https://wiki.example.com/runbooks/sidecars',
      evaluationInterval: Duration.seconds(30),
    });
    // THEN
    const unhealthy = ruleNamed(manifests, 'EnvoyProxyUnhealthy');
    expect(unhealthy.labels).toEqual({ team: 'platform', severity: 'critical' });
    expect(unhealthy.annotations.runbook_url).toBe('https://wiki.example.com/runbooks/sidecars#envoyproxyunhealthy');
    expect(find(manifests, 'PrometheusRule').spec.groups.every((g: any) => g.interval === '30s')).toBe(true);
    expect(find(manifests, 'PodMonitor').metadata.labels).toEqual({ 'prometheus.example.com/rules': 'sidecars', 'release': 'kube-prometheus-stack' });
  });

  test('rules of your own go into their own group', () => {
    // WHEN
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    const alerts = new SidecarAlerts(chart, 'alerts', {
      alertLabels: { team: 'platform' },
      rules: [{
        alert: 'EnvoyHighLatency',
        expr: 'histogram_quantile(0.99, sum by (le, pod) (rate(envoy_cluster_upstream_rq_time_bucket{container="envoy"}[5m]))) > 500',
        summary: 'Envoy upstream p99 latency is above 500ms.',
        pendingFor: Duration.minutes(10),
        severity: AlertSeverity.INFO,
        runbookUrl: 'https://wiki.example.com/latency',
        labels: { page: 'false' },
      }],
    });
    alerts.addRule({ alert: 'AppDown', expr: 'up{job="myapp"} == 0', summary: 'The app is down.', description: 'Pod {{ $labels.pod }} is down.' });
    const manifests = synth(chart);
    // THEN
    const group = find(manifests, 'PrometheusRule').spec.groups.find((g: any) => g.name === 'sidecar-custom');
    expect(group.rules).toEqual([
      {
        alert: 'EnvoyHighLatency',
        expr: 'histogram_quantile(0.99, sum by (le, pod) (rate(envoy_cluster_upstream_rq_time_bucket{container="envoy"}[5m]))) > 500',
        for: '10m',
        labels: { team: 'platform', page: 'false', severity: 'info' },
        annotations: {
          summary: 'Envoy upstream p99 latency is above 500ms.',
          description: 'Envoy upstream p99 latency is above 500ms.',
          runbook_url: 'https://wiki.example.com/latency',
        },
      },
      {
        alert: 'AppDown',
        expr: 'up{job="myapp"} == 0',
        labels: { team: 'platform', severity: 'warning' },
        annotations: { summary: 'The app is down.', description: 'Pod {{ $labels.pod }} is down.' },
      },
    ]);
  });

  test('podMonitor: false leaves the PodMonitor out but keeps the tool alerts', () => {
    // WHEN
    const manifests = alertsChart({ podMonitor: false });
    // THEN
    expect(manifests.filter(m => m.kind === 'PodMonitor')).toEqual([]);
    expect(rulesOf(manifests).map(r => r.alert)).toContain('EnvoyProxyUnhealthy');
  });
});

describe('SidecarAlerts errors', () => {
  const PATH = 'test/alerts';

  function withRule(expr: string): () => void {
    return () => {
      const chart = newChart();
      envoy(chart, webDeployment(chart));
      new SidecarAlerts(chart, 'alerts', { rules: [{ alert: 'Mine', expr, summary: 'Mine.' }] });
      synth(chart);
    };
  }

  test('an expression that is not valid PromQL is a synth error naming the rule', () => {
    expect(withRule('rate(http_requests_total[5m]')).toThrow(
      `[PROMQL_INVALID] alerts '${PATH}', alert 'Mine': the expression is not valid PromQL: syntax error at line 1, character 29 (at the end). Fix: correct the expression (check it in the Prometheus expression browser or with promtool).`,
    );
    expect(withRule('up == 0 and\nfoo bar')).toThrow(
      `[PROMQL_INVALID] alerts '${PATH}', alert 'Mine': the expression is not valid PromQL: syntax error at line 2, character 17 (near 'bar'). Fix: correct the expression (check it in the Prometheus expression browser or with promtool).`,
    );
    expect(withRule('  ')).toThrow(
      `[PROMQL_INVALID] alerts '${PATH}', alert 'Mine': the expression is empty. Fix: correct the expression (check it in the Prometheus expression browser or with promtool).`,
    );
  });

  test('nothing is rendered when an expression is invalid', () => {
    // GIVEN
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    new SidecarAlerts(chart, 'alerts', { rules: [{ alert: 'Mine', expr: 'sum(', summary: 'Mine.' }] });
    // THEN the chart does not synthesize at all
    expect(() => Testing.synth(chart)).toThrow(/\[PROMQL_INVALID\] alerts 'test\/alerts', alert 'Mine': the expression is not valid PromQL/);
  });

  test('a namespace that would inject label matchers is refused', () => {
    // GIVEN a chart whose namespace tries to close the matcher and add a series
    const chart = new Chart(Testing.app(), 'test', { namespace: 'production"} or vector(1) or up{x="' });
    envoy(chart, webDeployment(chart));
    new SidecarAlerts(chart, 'alerts');
    // WHEN / THEN
    expect(() => Testing.synth(chart)).toThrow(
      `[NAMESPACE_INVALID] alerts '${PATH}': namespace "production\\"} or vector(1) or up{x=\\"" of workload 'test/web' is not a valid namespace name. Fix: use a DNS label (lower-case letters, digits and '-', at most 63 characters) as the chart's or workload's namespace.`,
    );
  });

  test('no sidecar in scope', () => {
    const chart = newChart();
    new SidecarAlerts(chart, 'alerts');
    expect(() => synth(chart)).toThrow(
      `[NO_SIDECARS] alerts '${PATH}': there is no sidecar in scope 'test'. Fix: create SidecarAlerts in the chart (or app) that holds the sidecars, or add rules of your own.`,
    );
  });

  test.each<[string, SidecarAlertsProps, string]>([
    ['an invalid alert name', { rules: [{ alert: 'my-alert', expr: 'up == 0', summary: 'x.' }] },
      '[ALERT_NAME_INVALID] alerts \'test/alerts\', alert \'my-alert\': \'my-alert\' is not a valid alert name. Fix: use letters, digits and \'_\', not starting with a digit.'],
    ['two custom rules with one name', { rules: [{ alert: 'A', expr: 'up == 0', summary: 'x.' }, { alert: 'A', expr: 'up == 1', summary: 'y.' }] },
      '[ALERT_DUPLICATE] alerts \'test/alerts\', alert \'A\': there is already an alert named \'A\'. Fix: give your rule another name (tune a generated alert with \'overrides\').'],
    ['a rule without a summary', { rules: [{ alert: 'A', expr: 'up == 0', summary: ' ' }] },
      '[ALERT_SUMMARY_MISSING] alerts \'test/alerts\', alert \'A\': the alert has no summary. Fix: say in one sentence what is wrong.'],
    ['a fractional pendingFor', { rules: [{ alert: 'A', expr: 'up == 0', summary: 'x.', pendingFor: Duration.millis(1500) }] },
      '[DURATION_INVALID] alerts \'test/alerts\', alert \'A\': \'pendingFor\' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as \'pendingFor\'.'],
    ['an unknown severity', { rules: [{ alert: 'A', expr: 'up == 0', summary: 'x.', severity: 'page' as AlertSeverity }] },
      '[ENUM_INVALID] alerts \'test/alerts\', alert \'A\': \'severity\' \'page\' is not one of the AlertSeverity values. Fix: pass AlertSeverity.CRITICAL, AlertSeverity.WARNING or AlertSeverity.INFO.'],
    ['a bad label name on a rule', { rules: [{ alert: 'A', expr: 'up == 0', summary: 'x.', labels: { 'on-call': 'yes' } }] },
      '[LABEL_INVALID] alerts \'test/alerts\': label name \'on-call\' in labels of alert \'A\' is not valid. Fix: use letters, digits and \'_\', not starting with a digit or \'__\'.'],
    ['a severity label on a rule', { rules: [{ alert: 'A', expr: 'up == 0', summary: 'x.', labels: { severity: 'page' } }] },
      '[LABEL_INVALID] alerts \'test/alerts\': labels of alert \'A\' sets \'severity\', which the alert sets itself. Fix: choose the severity with \'severity\' (or an override), not a label.'],
    ['an alertname alert label', { alertLabels: { alertname: 'x' } },
      '[LABEL_INVALID] alerts \'test/alerts\': alertLabels sets \'alertname\', which the alert sets itself. Fix: name the alert with \'alert\'.'],
    ['a reserved alert label', { alertLabels: { __team: 'x' } },
      '[LABEL_INVALID] alerts \'test/alerts\': label name \'__team\' in alertLabels is not valid. Fix: use letters, digits and \'_\', not starting with a digit or \'__\'.'],
    ['a bad alert label', { alertLabels: { 'team.name': 'x' } },
      '[LABEL_INVALID] alerts \'test/alerts\': label name \'team.name\' in alertLabels is not valid. Fix: use letters, digits and \'_\', not starting with a digit or \'__\'.'],
    ['a multi-line alert label value', { alertLabels: { team: 'a\nb' } },
      '[LABEL_INVALID] alerts \'test/alerts\': the value of label \'team\' in alertLabels is not a one-line string. Fix: pass a plain string.'],
    ['a bad object label key', { labels: { 'release!': 'prometheus' } },
      '[LABEL_INVALID] alerts \'test/alerts\': label name \'release!\' in labels is not a valid Kubernetes label key. Fix: use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\'.'],
    ['a bad object label value', { labels: { release: 'kube prometheus' } },
      '[LABEL_INVALID] alerts \'test/alerts\': the value of label \'release\' in labels is not a valid Kubernetes label value. Fix: use at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit.'],
    ['a runbook base that is not a URL', { runbookBaseUrl: 'wiki/runbooks' },
      '[URL_INVALID] alerts \'test/alerts\': runbook base URL \'wiki/runbooks\' is not an http(s) URL. Fix: pass e.g. \'https://wiki.example.com/runbooks/sidecars\' as \'runbookBaseUrl\'.'],
    ['a negative threshold', { overrides: { FluentBitBacklogHigh: { threshold: -1 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'FluentBitBacklogHigh\': threshold -1 is not a number, 0 or more. Fix: pass a finite number, 0 or more.'],
    ['a fractional override window', { overrides: { EnvoyProxyUnhealthy: { pendingFor: Duration.millis(500) } } },
      '[DURATION_INVALID] alerts \'test/alerts\', alert \'EnvoyProxyUnhealthy\': \'pendingFor\' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as \'pendingFor\'.'],
    ['an unknown override severity', { overrides: { EnvoyProxyUnhealthy: { severity: 'page' as AlertSeverity } } },
      '[ENUM_INVALID] alerts \'test/alerts\', alert \'EnvoyProxyUnhealthy\': \'severity\' \'page\' is not one of the AlertSeverity values. Fix: pass AlertSeverity.CRITICAL, AlertSeverity.WARNING or AlertSeverity.INFO.'],
    ['a zero evaluation interval', { evaluationInterval: Duration.seconds(0) },
      '[DURATION_INVALID] alerts \'test/alerts\': \'evaluationInterval\' is not a whole number of seconds of at least 1. Fix: pass e.g. Duration.seconds(10) as \'evaluationInterval\'.'],
  ])('at construction: %s', (_name, props, message) => {
    const chart = newChart();
    expect(() => new SidecarAlerts(chart, 'alerts', props)).toThrow(message);
  });

  test.each<[string, SidecarAlertsProps, string]>([
    ['a custom rule named like a generated alert', { rules: [{ alert: 'EnvoyProxyUnhealthy', expr: 'up == 0', summary: 'x.' }] },
      '[ALERT_DUPLICATE] alerts \'test/alerts\', alert \'EnvoyProxyUnhealthy\': there is already an alert named \'EnvoyProxyUnhealthy\'. Fix: give your rule another name (tune a generated alert with \'overrides\').'],
    ['an override of an alert no sidecar in scope generates', { overrides: { EnvoyDown: { disabled: true } } },
      '[ALERT_UNKNOWN] alerts \'test/alerts\', alert \'EnvoyDown\': \'overrides\' names an alert that no sidecar in scope generates. Fix: name one of SidecarContainerRestarting, SidecarContainerCrashLooping, SidecarContainerNotReady, SidecarStartupBlocked, SidecarOOMKilled, SidecarCpuThrottled, SidecarMemoryNearLimit, EnvoyProxyUnhealthy, EnvoyUpstream5xxHigh, EnvoyCircuitBreakerOverflow, EnvoyUpstreamTlsHandshakeFailures, EnvoyOutlierEjectionOverflow.'],
    ['a threshold for an alert without one', { overrides: { EnvoyProxyUnhealthy: { threshold: 1 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'EnvoyProxyUnhealthy\': the alert has no threshold. Fix: leave \'threshold\' out of its override.'],
    // A ratio written as a percentage could never fire: 10 means 1000 %.
    ['a ratio threshold given as a percentage', { overrides: { EnvoyUpstream5xxHigh: { threshold: 10 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'EnvoyUpstream5xxHigh\': threshold 10 is a ratio, which is above 0 and at most 1. Fix: pass a share: 0.1 for 10 %.'],
    ['a ratio threshold of 0', { overrides: { EnvoyUpstream5xxHigh: { threshold: 0 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'EnvoyUpstream5xxHigh\': threshold 0 is a ratio, which is above 0 and at most 1. Fix: pass a share: e.g. 0.05 for 5 %.'],
  ])('at synth: %s', (_name, props, message) => {
    // GIVEN an Envoy sidecar (generic and Envoy alerts in scope)
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    // WHEN
    new SidecarAlerts(chart, 'alerts', props);
    // THEN
    expect(() => Testing.synth(chart)).toThrow(message);
  });

  test('a ratio threshold of 0.1 is taken as 10 %', () => {
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    new SidecarAlerts(chart, 'alerts', { overrides: { EnvoyUpstream5xxHigh: { threshold: 0.1 } } });
    expect(ruleNamed(synth(chart), 'EnvoyUpstream5xxHigh').expr).toMatch(/\n> 0\.1$/);
  });
});

describe('How native sidecars fail: startup, OOM kills, CPU throttling, memory near the limit', () => {
  // GIVEN the chart with every kind of sidecar: native ones on a Deployment and a Job,
  // and the legacy log-shipper
  const manifests = synth(alertsFixture());
  // The container matchers the rules must use, from the synthesized pods: native sidecars
  // are init containers with restartPolicy Always, the legacy one an ordinary container.
  const pods = manifests.filter(m => ['Deployment', 'Job'].includes(m.kind)).map(podSpec);
  const exact = (names: string[]) => {
    const sorted = [...new Set(names)].sort();
    return sorted.length === 1 ? `container="${sorted[0]}"` : `container=~"${sorted.join('|')}"`;
  };
  const nativeNames = pods.flatMap(p => (p.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always').map((c: any) => c.name));
  const legacyNames = pods.flatMap(p => p.containers.map((c: any) => c.name).filter((n: string) => !['app', 'main'].includes(n)));
  const NATIVE = exact(nativeNames);
  const ALL = exact([...nativeNames, ...legacyNames]);

  test('SidecarStartupBlocked reads native sidecars only, in Pending pods, not the ones waiting their turn', () => {
    // WHEN
    const rule = ruleNamed(manifests, 'SidecarStartupBlocked');
    // THEN
    expect(rule.expr).toBe([
      `(kube_pod_init_container_status_ready{namespace="production", ${NATIVE}} == 0)`,
      `and on (namespace, pod, container) kube_pod_init_container_info{namespace="production", ${NATIVE}, restart_policy="Always"}`,
      `unless on (namespace, pod, container) (kube_pod_init_container_status_waiting_reason{namespace="production", ${NATIVE}, reason="PodInitializing"} == 1)`,
      'and on (namespace, pod) (kube_pod_status_phase{phase="Pending"} == 1)',
      'unless on (namespace, pod) kube_pod_deletion_timestamp',
    ].join('\n'));
    expect(rule.for).toBe('15m');
    expect(rule.labels.severity).toBe('warning');
  });

  test('SidecarOOMKilled reads the last termination reason of each placement, with recent restarts', () => {
    const expr = ruleNamed(manifests, 'SidecarOOMKilled').expr;
    expect(expr).toContain(`(increase(kube_pod_init_container_status_restarts_total{namespace="production", ${NATIVE}}[10m]) > 0)`);
    expect(expr).toContain(`kube_pod_init_container_status_last_terminated_reason{namespace="production", ${NATIVE}, reason="OOMKilled"} == 1`);
    expect(expr).toContain(`(increase(kube_pod_container_status_restarts_total{namespace="production", ${exact(legacyNames)}}[10m]) > 0)`);
    expect(expr).toContain(`kube_pod_container_status_last_terminated_reason{namespace="production", ${exact(legacyNames)}, reason="OOMKilled"} == 1`);
  });

  test('SidecarCpuThrottled divides cAdvisor\'s throttled periods by all periods, per container', () => {
    expect(ruleNamed(manifests, 'SidecarCpuThrottled').expr).toBe([
      `sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{namespace="production", ${ALL}}[5m]))`,
      `/ sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{namespace="production", ${ALL}}[5m]))`,
      '> 0.25',
    ].join('\n'));
  });

  test('SidecarMemoryNearLimit divides the working set by the memory limit (bytes), never the CPU limit', () => {
    const expr = ruleNamed(manifests, 'SidecarMemoryNearLimit').expr;
    expect(expr).toContain(`max by (namespace, pod, container) (container_memory_working_set_bytes{namespace="production", ${ALL}})`);
    expect(expr).toContain(`kube_pod_init_container_resource_limits{namespace="production", ${NATIVE}, resource="memory", unit="byte"}`);
    expect(expr).toContain(`kube_pod_container_resource_limits{namespace="production", ${exact(legacyNames)}, resource="memory", unit="byte"}`);
    expect(expr).toMatch(/\n> 0\.9$/);
  });

  test('legacy and run-once sidecars cannot block a pod\'s start: no SidecarStartupBlocked for them', () => {
    // GIVEN only a legacy sidecar and a run-once init container
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'shipper', { workload: web, name: 'log-shipper', image: 'busybox:1.36', mode: SidecarMode.LEGACY });
    new Sidecar(chart, 'prepare', { workload: web, name: 'prepare', image: 'busybox:1.36', runOnce: true });
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    const alerts = rulesOf(synth(chart)).map(r => r.alert);
    // THEN the resource alerts are there, the startup one is not
    expect(alerts).toEqual(expect.arrayContaining(['SidecarOOMKilled', 'SidecarCpuThrottled', 'SidecarMemoryNearLimit']));
    expect(alerts).not.toContain('SidecarStartupBlocked');
  });

  test('thresholds and windows are overridable', () => {
    // GIVEN
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    // WHEN
    new SidecarAlerts(chart, 'alerts', {
      overrides: {
        SidecarStartupBlocked: { pendingFor: Duration.minutes(30), severity: AlertSeverity.CRITICAL },
        SidecarOOMKilled: { threshold: 2 },
        SidecarCpuThrottled: { threshold: 0.5, pendingFor: Duration.minutes(30) },
        SidecarMemoryNearLimit: { threshold: 0.8 },
      },
    });
    const out = synth(chart);
    // THEN
    const blocked = ruleNamed(out, 'SidecarStartupBlocked');
    expect([blocked.for, blocked.labels.severity]).toEqual(['30m', 'critical']);
    expect(ruleNamed(out, 'SidecarOOMKilled').expr).toContain('[10m]) > 2)');
    const throttled = ruleNamed(out, 'SidecarCpuThrottled');
    expect([throttled.expr.split('\n').pop(), throttled.for]).toEqual(['> 0.5', '30m']);
    expect(ruleNamed(out, 'SidecarMemoryNearLimit').expr.split('\n').pop()).toBe('> 0.8');
  });

  test.each<[string, SidecarAlertsProps, string]>([
    ['a throttling ratio given as a percentage', { overrides: { SidecarCpuThrottled: { threshold: 25 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'SidecarCpuThrottled\': threshold 25 is a ratio, which is above 0 and at most 1. Fix: pass a share: 0.25 for 25 %.'],
    ['a memory ratio above 1', { overrides: { SidecarMemoryNearLimit: { threshold: 1.5 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'SidecarMemoryNearLimit\': threshold 1.5 is a ratio, which is above 0 and at most 1. Fix: pass a share: 0.015 for 1.5 %.'],
    ['a threshold for the startup alert, which has none', { overrides: { SidecarStartupBlocked: { threshold: 1 } } },
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'SidecarStartupBlocked\': the alert has no threshold. Fix: leave \'threshold\' out of its override.'],
  ])('refused at synth: %s', (_name, props, message) => {
    // GIVEN
    const chart = newChart();
    envoy(chart, webDeployment(chart));
    // WHEN
    new SidecarAlerts(chart, 'alerts', props);
    // THEN
    expect(() => Testing.synth(chart)).toThrow(message);
  });

  test('a negative OOM restart count is refused at construction', () => {
    expect(() => new SidecarAlerts(newChart(), 'alerts', { overrides: { SidecarOOMKilled: { threshold: -1 } } })).toThrow(
      '[THRESHOLD_INVALID] alerts \'test/alerts\', alert \'SidecarOOMKilled\': threshold -1 is not a number, 0 or more. Fix: pass a finite number, 0 or more.',
    );
  });
});

describe('The library\'s own alert expressions', () => {
  // SidecarAlerts checks the expressions users write at synth; the library's own are
  // checked here, with Prometheus's grammar, for every shape of target and threshold.
  const packs = [
    GENERIC_ALERT_PACK, CloudSqlProxySidecar.ALERT_PACK, ReloaderSidecar.ALERT_PACK, EnvoySidecar.ALERT_PACK, FluentBitSidecar.ALERT_PACK,
    GitSyncSidecar.ALERT_PACK, OpenTelemetryCollectorSidecar.ALERT_PACK, StatsdExporterSidecar.ALERT_PACK, VaultAgentSidecar.ALERT_PACK,
  ];
  const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  const target: fc.Arbitrary<AlertTarget> = fc.record({
    container: dnsLabel,
    namespace: fc.option(dnsLabel, { nil: undefined }),
    init: fc.boolean(),
    longRunning: fc.boolean(),
    scraped: fc.boolean(),
  });
  const syntaxErrorAt = (expr: string): number | undefined => {
    let at: number | undefined;
    parser.parse(expr).iterate({ enter: (n: any) => { if (at === undefined && n.type.isError) at = n.from; } });
    return at;
  };

  test('every pack has rules, and each expression parses for any targets and threshold', () => {
    // The list is every pack the fixture with every kind of sidecar renders.
    const rendered = find(synth(alertsFixture()), 'PrometheusRule').spec.groups.map((g: any) => g.name);
    expect(packs.map(p => `sidecar-${p.name}`).sort()).toEqual([...rendered].sort());
    expect(packs.map(p => p._definitions.length).every(n => n > 0)).toBe(true);
    const definitions = packs.flatMap(p => p._definitions);
    expect(definitions.every(d => d.userWritten !== true)).toBe(true);
    fc.assert(fc.property(
      fc.uniqueArray(target, { minLength: 1, maxLength: 6, selector: t => `${t.namespace}/${t.container}` }),
      fc.double({ min: 0, max: 1e12, noNaN: true }),
      fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
      (targets, count, ratio) => {
        for (const def of definitions) {
          const applies = def.scrapedOnly ? targets.filter(t => t.scraped) : targets;
          if (applies.length === 0) continue;
          const expr = def.expr(applies, def.threshold?.unit === AlertThresholdUnit.RATIO ? ratio : count);
          if (expr === undefined) continue;
          const at = syntaxErrorAt(expr);
          if (at !== undefined) throw new Error(`${def.alert}: syntax error at ${at} in ${expr}`);
        }
      },
    ), { numRuns: 200 });
  });

  test('the check finds the errors it is there for', () => {
    expect(syntaxErrorAt('increase(x{namespace="a"}[5m]) > 1e-7')).toBeUndefined();
    expect(syntaxErrorAt('increase(x{namespace="a"}[5m]) >')).toBeDefined();
    expect(syntaxErrorAt('x{namespace="a}')).toBeDefined();
  });
});

describe('Alert packs of your own', () => {
  const rclonePack = AlertPack.custom('rclone', [{
    alert: 'RcloneSyncErrors',
    expr: 'increase(rclone_errors_total{$sidecar}[10m]) > 0',
    summary: 'An rclone sidecar fails to sync.',
    severity: AlertSeverity.CRITICAL,
    pendingFor: Duration.minutes(5),
  }]);

  test('a Sidecar brings its pack: its rules match its exact containers, in a group of their own', () => {
    // GIVEN two workloads with the same rclone sidecar, and one without
    const chart = newChart();
    for (const id of ['web', 'api']) {
      new Sidecar(chart, `${id}-sync`, { workload: webDeployment(chart, id), name: 'rclone', image: 'rclone/rclone:1.68.2', alertPack: rclonePack });
    }
    new Sidecar(chart, 'other-sync', { workload: webDeployment(chart, 'other'), name: 'other-sync', image: 'rclone/rclone:1.68.2' });
    // WHEN
    new SidecarAlerts(chart, 'alerts');
    const manifests = synth(chart);
    // THEN
    const group = find(manifests, 'PrometheusRule').spec.groups.find((g: any) => g.name === 'sidecar-rclone');
    expect(group.rules).toEqual([{
      alert: 'RcloneSyncErrors',
      expr: 'increase(rclone_errors_total{namespace="production", container="rclone"}[10m]) > 0',
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'An rclone sidecar fails to sync.',
        description: 'An rclone sidecar fails to sync.',
        runbook_url: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars/blob/main/docs/runbooks.md#rclonesyncerrors',
      },
    }]);
    // The expression parses with Prometheus's own grammar.
    let errors = 0;
    parser.parse(group.rules[0].expr).iterate({ enter: (n: any) => { if (n.type.isError) errors++; } });
    expect(errors).toBe(0);
    expect(rclonePack.alertNames).toEqual(['RcloneSyncErrors']);
  });

  test.each<[string, () => unknown, RegExp]>([
    ['a rule without $sidecar', () => AlertPack.custom('x', [{ alert: 'A', expr: 'up == 0', summary: 'x.' }]),
      /^\[ALERT_PACK_SELECTOR_MISSING\] alert pack 'x', alert 'A': the expression does not use \$sidecar/],
    ['no rules', () => AlertPack.custom('x', []), /^\[ALERT_PACK_EMPTY\] alert pack 'x': the pack has no rules/],
    ['a pack name that is not a DNS label', () => AlertPack.custom('My Pack', [{ alert: 'A', expr: 'up{$sidecar}', summary: 'x.' }]),
      /^\[NAME_INVALID\] alert pack 'My Pack': pack name "My Pack" is not a DNS label/],
    ['two rules with one name', () => AlertPack.custom('x', [{ alert: 'A', expr: 'up{$sidecar}', summary: 'x.' }, { alert: 'A', expr: 'up{$sidecar}', summary: 'y.' }]),
      /^\[ALERT_DUPLICATE\] alert pack 'x', alert 'A': the pack has two alerts named 'A'/],
    ['an invalid alert name', () => AlertPack.custom('x', [{ alert: 'a-b', expr: 'up{$sidecar}', summary: 'x.' }]),
      /^\[ALERT_NAME_INVALID\] alert pack 'x', alert 'a-b'/],
    ['no summary', () => AlertPack.custom('x', [{ alert: 'A', expr: 'up{$sidecar}', summary: '' }]),
      /^\[ALERT_SUMMARY_MISSING\] alert pack 'x', alert 'A'/],
  ])('errors: %s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('an expression of a pack of your own that is not valid PromQL is a synth error naming the alert', () => {
    // GIVEN a pack whose rule does not close its call
    const chart = newChart();
    const broken = AlertPack.custom('rclone', [{ alert: 'RcloneBroken', expr: 'increase(rclone_errors_total{$sidecar}[10m] > 0', summary: 'x.' }]);
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), name: 'rclone', image: 'rclone/rclone:1.68.2', alertPack: broken });
    new SidecarAlerts(chart, 'alerts');
    // WHEN / THEN
    expect(() => Testing.synth(chart)).toThrow(
      /\[PROMQL_INVALID\] alerts 'test\/alerts', alert 'RcloneBroken': the expression is not valid PromQL: syntax error at line 1, character \d+/,
    );
  });

  test('two different packs of one name, and a pack alert named like another pack\'s, are synth errors', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'a', { workload: web, image: 'rclone/rclone:1.68.2', alertPack: rclonePack });
    new Sidecar(chart, 'b', { workload: web, image: 'rclone/rclone:1.68.2', alertPack: AlertPack.custom('rclone', [{ alert: 'Other', expr: 'up{$sidecar} == 0', summary: 'x.' }]) });
    new Sidecar(chart, 'c', { workload: web, image: 'rclone/rclone:1.68.2', alertPack: AlertPack.custom('copycat', [{ alert: 'EnvoyProxyUnhealthy', expr: 'up{$sidecar} == 0', summary: 'x.' }]) });
    envoy(chart, web);
    new SidecarAlerts(chart, 'alerts');
    // WHEN / THEN
    expect(() => Testing.synth(chart)).toThrow(/\[ALERT_PACK_NAME_TAKEN\] alerts 'test\/alerts': two different alert packs are named 'rclone' \(one of them on sidecar 'b' of workload 'test\/web'\)/);
    expect(() => Testing.synth(chart)).toThrow(/\[ALERT_DUPLICATE\] alerts 'test\/alerts', alert 'EnvoyProxyUnhealthy': alert pack '(copycat|envoy)' has an alert named like another pack's/);
  });
});
