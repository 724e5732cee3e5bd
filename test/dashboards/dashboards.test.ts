import { readFileSync } from 'fs';
import { join } from 'path';
import { parser } from '@prometheus-io/lezer-promql';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CADVISOR, EXPORTERS, KUBE_STATE_METRICS } from './provided-metrics';
import { buildExampleApp } from '../../examples/main';
import {
  CloudSqlProxySidecar, DashboardPack, DashboardPanelType, DashboardUnit, GitSyncSidecar, OpenTelemetryCollectorSidecar, OtelExporter,
  Sidecar, SidecarAlerts, SidecarDashboards, SidecarDashboardsProps, SidecarMode,
} from '../../src';
import { CLOUD_SQL_PROXY_DASHBOARD_PACK } from '../../src/sidecars/cloud-sql-proxy/dashboard';
import { ENVOY_DASHBOARD_PACK } from '../../src/sidecars/envoy/dashboard';
import { FLUENT_BIT_DASHBOARD_PACK } from '../../src/sidecars/fluent-bit/dashboard';
import { GIT_SYNC_DASHBOARD_PACK } from '../../src/sidecars/git-sync/dashboard';
import { OTEL_COLLECTOR_DASHBOARD_PACK } from '../../src/sidecars/otel-collector/dashboard';
import { RELOADER_DASHBOARD_PACK } from '../../src/sidecars/reloader/dashboard';
import { STATSD_EXPORTER_DASHBOARD_PACK } from '../../src/sidecars/statsd-exporter/dashboard';
import { VAULT_AGENT_DASHBOARD_PACK } from '../../src/sidecars/vault-agent/dashboard';
import { find, newChart, podSpec, synth, webDeployment } from '../util';

/** The dashboards of synthesized manifests: file name, ConfigMap and parsed JSON model. */
function dashboardsOf(manifests: any[], label = 'grafana_dashboard'): Array<{ file: string; configMap: any; json: any }> {
  return manifests
    .filter(m => m.kind === 'ConfigMap' && m.metadata.labels?.[label] !== undefined)
    .flatMap(cm => Object.entries(cm.data as { [file: string]: string }).map(([file, text]) => ({ file, configMap: cm, json: JSON.parse(text) })));
}

const panelsOf = (json: any): any[] => json.panels.filter((p: any) => p.type !== 'row');
const exprsOf = (json: any): string[] => panelsOf(json).flatMap(p => p.targets.map((t: any) => t.expr));

/** Grafana replaces its range macros before Prometheus sees the query. */
const asPrometheusSees = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)/g, '5m');

/** The selectors of a query: metric name and label matchers, from Prometheus's own grammar. */
function selectorsOf(expr: string): Array<{ metric?: string; matchers: { [label: string]: [string, string] } }> {
  const text = asPrometheusSees(expr);
  const out: Array<{ metric?: string; matchers: { [label: string]: [string, string] } }> = [];
  let errors = 0;
  parser.parse(text).iterate({
    enter: (n: any) => {
      if (n.type.isError) errors++;
      if (n.type.name !== 'VectorSelector') return undefined;
      const selector: { metric?: string; matchers: { [label: string]: [string, string] } } = { matchers: {} };
      const cursor = n.node.cursor();
      cursor.firstChild();
      do {
        if (cursor.name === 'Identifier') selector.metric = text.slice(cursor.from, cursor.to);
        if (cursor.name === 'LabelMatchers') {
          const m = cursor.node.cursor();
          if (m.firstChild()) {
            do {
              if (m.name === 'UnquotedLabelMatcher') {
                const name = m.node.getChild('LabelName')!;
                const op = m.node.getChild('MatchOp')!;
                const value = m.node.getChild('StringLiteral')!;
                selector.matchers[text.slice(name.from, name.to)] = [text.slice(op.from, op.to), JSON.parse(text.slice(value.from, value.to))];
              }
            } while (m.nextSibling());
          }
        }
      } while (cursor.nextSibling());
      out.push(selector);
      return false;
    },
  });
  if (errors > 0) throw new Error(`not valid PromQL: ${expr}`);
  return out;
}

/** The chart of the alert tests (every kind of sidecar, native and legacy), with every built-in dashboard pack. */
function shop(props: SidecarDashboardsProps = {}): Chart {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'production' });
  const app = [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }];
  const web = new kplus.Deployment(chart, 'web', { containers: app });
  const batch = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });
  const legacy = new kplus.Deployment(chart, 'legacy-web', { containers: app });
  // Created before the sidecars: SidecarDashboards collects them at synth.
  new SidecarDashboards(chart, 'dashboards', props);
  new SidecarAlerts(chart, 'alerts');
  const tool = (id: string, workload: kplus.AbstractPod, name: string, image: string, port: number, path: string, dashboardPack: DashboardPack) =>
    new Sidecar(chart, id, {
      workload,
      name,
      image,
      dashboardPack,
      ports: [{ name: `${name.split('-')[0]}-metrics`, number: port }],
      metrics: { portName: `${name.split('-')[0]}-metrics`, path },
    });
  tool('logs', web, 'fluent-bit', 'fluent/fluent-bit:3.2.10', 2020, '/api/v2/metrics/prometheus', FLUENT_BIT_DASHBOARD_PACK);
  tool('job-logs', batch, 'fluent-bit', 'fluent/fluent-bit:3.2.10', 2020, '/api/v2/metrics/prometheus', FLUENT_BIT_DASHBOARD_PACK);
  tool('proxy', web, 'envoy', 'envoyproxy/envoy:v1.33.2', 15090, '/stats/prometheus', ENVOY_DASHBOARD_PACK);
  tool('secrets', web, 'vault-agent', 'hashicorp/vault:1.19.0', 8100, '/agent/v1/metrics?format=prometheus', VAULT_AGENT_DASHBOARD_PACK);
  tool('reloader', web, 'config-reloader', 'ghcr.io/jimmidyson/configmap-reload:v0.14.0', 9533, '/metrics', RELOADER_DASHBOARD_PACK);
  tool('statsd', web, 'statsd-exporter', 'prom/statsd-exporter:v0.28.0', 9102, '/metrics', STATSD_EXPORTER_DASHBOARD_PACK);
  tool('telemetry', web, 'otel-collector', 'otel/opentelemetry-collector:0.159.0', 8888, '/metrics', OTEL_COLLECTOR_DASHBOARD_PACK);
  tool('db', web, 'cloud-sql-proxy', 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3', 9801, '/metrics', CLOUD_SQL_PROXY_DASHBOARD_PACK);
  tool('content', web, 'git-sync', 'registry.k8s.io/git-sync/git-sync:v4.7.1', 9422, '/metrics', GIT_SYNC_DASHBOARD_PACK);
  new Sidecar(chart, 'shipper', { workload: legacy, name: 'log-shipper', image: 'busybox:1.36', mode: SidecarMode.LEGACY });
  return chart;
}

describe('SidecarDashboards on a chart with every kind of sidecar', () => {
  // GIVEN
  const manifests = synth(shop());
  const dashboards = dashboardsOf(manifests);
  const byTitle = (suffix: string) => dashboards.find(d => d.json.title.endsWith(` / ${suffix}`))!.json;
  // The sidecars' container names, read from the synthesized pods (never from the library).
  const workloads = manifests.filter(m => ['Deployment', 'Job'].includes(m.kind));
  const sidecarNames = new Set(workloads.flatMap(w => [
    ...(podSpec(w).initContainers ?? []).map((c: any) => c.name),
    ...podSpec(w).containers.map((c: any) => c.name).filter((n: string) => !['app', 'main'].includes(n)),
  ]));

  test('one ConfigMap per dashboard: the overview and one per sidecar kind, labelled for the Grafana sidecar', () => {
    expect(dashboards.map(d => d.json.title)).toEqual([
      'Sidecars: shop / Overview',
      'Sidecars: shop / Cloud SQL Auth Proxy',
      'Sidecars: shop / Config reloader',
      'Sidecars: shop / Envoy',
      'Sidecars: shop / Fluent Bit',
      'Sidecars: shop / git-sync',
      'Sidecars: shop / OpenTelemetry Collector',
      'Sidecars: shop / StatsD exporter',
      'Sidecars: shop / Vault Agent',
    ]);
    for (const d of dashboards) {
      expect(d.configMap.metadata.labels).toEqual({ grafana_dashboard: '1' });
      expect(d.configMap.metadata.namespace).toBe('production');
      expect(Object.keys(d.configMap.data)).toEqual([d.file]);
      expect(d.file).toBe(`${d.json.uid}.json`);
      expect(d.json.uid.length).toBeLessThanOrEqual(40);
    }
    expect(new Set(dashboards.map(d => d.json.uid)).size).toBe(dashboards.length);
  });

  test('the panels of each dashboard (snapshot)', () => {
    expect(dashboards.map(d => ({
      title: d.json.title,
      variables: d.json.templating.list.map((v: any) => [v.name, v.query]),
      panels: d.json.panels.map((p: any) => (p.type === 'row' ? `--- ${p.title}` : { title: p.title, type: p.type, unit: p.fieldConfig.defaults.unit, exprs: p.targets.map((t: any) => t.expr) })),
    }))).toMatchSnapshot();
  });

  test('every dashboard has data source, namespace and pod variables, and every panel reads the chosen data source', () => {
    for (const { json } of dashboards) {
      expect(json.templating.list.map((v: any) => [v.name, v.type])).toEqual([['datasource', 'datasource'], ['namespace', 'query'], ['pod', 'query']]);
      for (const p of panelsOf(json)) expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  test('the variables list only the namespaces and pods that have these sidecars', () => {
    const envoy = byTitle('Envoy').templating.list;
    expect(envoy[1].query).toBe('label_values(kube_pod_init_container_info{namespace="production", container="envoy"}, namespace)');
    expect(envoy[2].query).toBe('label_values(kube_pod_init_container_info{namespace=~"$namespace", container="envoy"}, pod)');
    // The overview has native and legacy sidecars: both info metrics.
    const overview = byTitle('Overview').templating.list;
    expect(overview[1].query).toMatch(/^query_result\(count by \(namespace\) \(kube_pod_init_container_info\{.*\} or kube_pod_container_info\{namespace="production", container="log-shipper"\}\)\)$/);
    expect(overview[1].regex).toBe('/namespace="([^"]+)"/');
    // The PromQL inside each variable query parses.
    for (const { json } of dashboards) {
      for (const v of json.templating.list.slice(1)) {
        const inner = /^(?:label_values\((.*), (?:namespace|pod)\)|query_result\((.*)\))$/.exec(v.query)!;
        expect(() => selectorsOf(inner[1] ?? inner[2])).not.toThrow();
      }
    }
  });

  test('every panel query is valid PromQL (Prometheus\'s grammar, with Grafana\'s range macros replaced)', () => {
    const queries = dashboards.flatMap(d => exprsOf(d.json));
    expect(queries.length).toBeGreaterThan(40);
    for (const expr of queries) expect(() => selectorsOf(expr)).not.toThrow();
  });

  test('every selector names its metric, and container selectors match the exact sidecar names with the dashboard variables', () => {
    for (const { json } of dashboards) {
      for (const expr of exprsOf(json)) {
        for (const s of selectorsOf(expr)) {
          expect(s.metric).toBeDefined();
          expect(s.matchers.namespace).toEqual(['=~', '$namespace']);
          if (s.metric!.startsWith('kube_pod_status_') || s.metric === 'kube_pod_start_time') {
            // Pod-level series: no container label; joined on (namespace, pod) with a sidecar selector.
            expect(s.matchers.container).toBeUndefined();
            continue;
          }
          expect(s.matchers.pod).toEqual(['=~', '$pod']);
          const [op, value] = s.matchers.container;
          const names = op === '=' ? [value] : value.split('|');
          expect(['=', '=~']).toContain(op);
          for (const name of names) expect(sidecarNames).toContain(name);
        }
      }
    }
  });

  test('every metric a panel reads is provided: kube-state-metrics, cAdvisor, or the tool\'s own metrics that the PodMonitor scrapes', () => {
    const podMonitor = find(manifests, 'PodMonitor');
    const scrapedContainers = new Set(podMonitor.spec.podMetricsEndpoints.map((e: any) => e.relabelings[0].regex));
    const unprovided: string[] = [];
    for (const { json } of dashboards) {
      const pack = json.title.endsWith('/ Overview') ? undefined
        : {
          'Envoy': 'envoy',
          'Fluent Bit': 'fluent-bit',
          'Vault Agent': 'vault-agent',
          'Config reloader': 'config-reloader',
          'StatsD exporter': 'statsd-exporter',
          'OpenTelemetry Collector': 'otel-collector',
          'Cloud SQL Auth Proxy': 'cloud-sql-proxy',
          'git-sync': 'git-sync',
        }[json.title.split(' / ')[1] as string]!;
      expect(pack === undefined || pack in EXPORTERS).toBe(true);
      for (const expr of exprsOf(json)) {
        for (const s of selectorsOf(expr)) {
          const metric = s.metric!;
          if (metric in KUBE_STATE_METRICS || metric in CADVISOR) continue;
          if (pack !== undefined && metric in EXPORTERS[pack]) {
            // The tool's own metric: the PodMonitor must scrape each container it selects.
            const [, value] = s.matchers.container;
            for (const name of value.split('|')) expect(scrapedContainers).toContain(name);
            continue;
          }
          unprovided.push(`${json.title}: ${metric}`);
        }
      }
    }
    expect(unprovided).toEqual([]);
  });

  test('each kind\'s dashboard starts with its containers\' restarts, CPU and memory, then the tool\'s panels', () => {
    const envoy = byTitle('Envoy');
    expect(envoy.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual(['Containers', 'Envoy']);
    const cpu = panelsOf(envoy).find(p => p.title === 'CPU: usage, request and limit');
    expect(cpu.targets.map((t: any) => t.expr)).toEqual([
      'sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{namespace=~"$namespace", pod=~"$pod", container="envoy"}[$__rate_interval]))',
      'max by (namespace, pod, container) (kube_pod_init_container_resource_requests{namespace=~"$namespace", pod=~"$pod", container="envoy", resource="cpu", unit="core"})',
      'max by (namespace, pod, container) (kube_pod_init_container_resource_limits{namespace=~"$namespace", pod=~"$pod", container="envoy", resource="cpu", unit="core"})',
    ]);
  });

  test('the overview reads native sidecars from the init container metrics and legacy ones from the container metrics', () => {
    const restarts = panelsOf(byTitle('Overview')).find(p => p.title === 'Restarts in the last hour').targets[0].expr;
    expect(restarts).toContain('kube_pod_init_container_status_restarts_total{namespace=~"$namespace", pod=~"$pod", container=~"cloud-sql-proxy|config-reloader|envoy|fluent-bit|git-sync|otel-collector|statsd-exporter|vault-agent"}[1h]');
    expect(restarts).toContain('kube_pod_container_status_restarts_total{namespace=~"$namespace", pod=~"$pod", container="log-shipper"}[1h]');
    const notReady = panelsOf(byTitle('Overview')).find(p => p.title === 'Sidecars not ready');
    expect(notReady.type).toBe('stat');
    expect(notReady.targets[0].expr).toContain('restart_policy="Always"');
    expect(notReady.targets[0].expr).toContain('phase="Running"');
  });

  test('the dashboards link to each other by a tag of their own', () => {
    const tags = dashboards.map(d => d.json.tags);
    const own = tags[0].find((t: string) => t !== 'sidecars');
    for (const t of tags) expect(t).toEqual(['sidecars', own]);
    for (const { json } of dashboards) expect(json.links).toEqual([expect.objectContaining({ type: 'dashboards', tags: [own], includeVars: true, keepTime: true })]);
  });
});

describe('The dashboards of the OpenTelemetry Collector, Cloud SQL Auth Proxy and git-sync sidecars', () => {
  // GIVEN the named sidecars (not the packs handed to a generic Sidecar), with alerts and dashboards
  const chart = newChart();
  const web = webDeployment(chart);
  new SidecarDashboards(chart, 'dashboards');
  new SidecarAlerts(chart, 'alerts');
  new OpenTelemetryCollectorSidecar(chart, 'telemetry', { workload: web, exporters: [OtelExporter.otlpGrpc({ endpoint: 'otel-gateway.observability:4317' })] });
  new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: 'shop-prod:europe-west1:orders', port: 5432 }] });
  new GitSyncSidecar(chart, 'content', { workload: web, repo: 'https://github.com/example/dags.git' });
  const manifests = synth(chart);
  const dashboards = dashboardsOf(manifests);
  const rules = find(manifests, 'PrometheusRule').spec.groups.flatMap((g: any) => g.rules).filter((r: any) => r.alert !== undefined);
  const metricsOf = (exprs: string[]) => new Set(exprs.flatMap(e => selectorsOf(e).map(sel => sel.metric!)));
  const kinds: Array<[string, string, DashboardPack, string]> = [
    ['OpenTelemetry Collector', 'otel-collector', OpenTelemetryCollectorSidecar.DASHBOARD_PACK, 'OtelCollector'],
    ['Cloud SQL Auth Proxy', 'cloud-sql-proxy', CloudSqlProxySidecar.DASHBOARD_PACK, 'CloudSqlProxy'],
    ['git-sync', 'git-sync', GitSyncSidecar.DASHBOARD_PACK, 'GitSync'],
  ];

  test.each(kinds)('%s: the class\'s DASHBOARD_PACK is the one its sidecars bring, with the tool\'s row', (title, name, pack) => {
    expect(pack.name).toBe(name);
    const json = dashboards.find(d => d.json.title === `Sidecars: test / ${title}`)!.json;
    expect(json.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual(['Containers', title]);
    // The tool's panels are the pack's, in order, after the three container panels.
    expect(panelsOf(json).slice(3).map(p => p.title)).toEqual(pack.panelTitles);
  });

  test.each(kinds)('%s: the dashboard reads every metric of the tool\'s alerts, and only metrics the tool provides', (title, name, _pack, prefix) => {
    const json = dashboards.find(d => d.json.title === `Sidecars: test / ${title}`)!.json;
    const own = [...metricsOf(exprsOf(json))].filter(m => !(m in KUBE_STATE_METRICS) && !(m in CADVISOR));
    const alerted = metricsOf(rules.filter((r: any) => r.alert.startsWith(prefix)).map((r: any) => r.expr));
    expect(alerted.size).toBeGreaterThan(0);
    expect([...alerted].filter(m => !own.includes(m))).toEqual([]);
    expect(own.filter(m => !(m in EXPORTERS[name]))).toEqual([]);
  });
});

describe('SidecarDashboards props and scope', () => {
  test('label, value, more labels, folder, namespace, title prefix, tags, refresh and time range', () => {
    // WHEN
    const manifests = synth(shop({
      label: 'grafana_dashboard_sidecars',
      labelValue: 'shop',
      labels: { 'app.kubernetes.io/part-of': 'shop' },
      folder: 'Shop sidecars',
      folderAnnotation: 'k8s-sidecar-target-directory',
      namespace: 'monitoring',
      titlePrefix: 'Shop',
      tags: ['shop', 'sidecars'],
      refresh: Duration.seconds(30),
      timeRange: Duration.hours(24),
    }));
    // THEN
    const dashboards = dashboardsOf(manifests, 'grafana_dashboard_sidecars');
    expect(dashboards).toHaveLength(9);
    const { configMap, json } = dashboards[0];
    expect(configMap.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'shop', 'grafana_dashboard_sidecars': 'shop' });
    expect(configMap.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'Shop sidecars' });
    expect(configMap.metadata.namespace).toBe('monitoring');
    expect(json.title).toBe('Shop / Overview');
    expect(json.tags.slice(0, 2)).toEqual(['shop', 'sidecars']);
    expect([json.refresh, json.time]).toEqual(['30s', { from: 'now-1d', to: 'now' }]);
  });

  test('only the sidecars of its scope: a sidecar in another chart is not shown', () => {
    // GIVEN
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'production' });
    const b = new Chart(app, 'b', { namespace: 'production' });
    new Sidecar(a, 'proxy', { workload: webDeployment(a), name: 'envoy', image: 'envoyproxy/envoy:v1.33.2', dashboardPack: ENVOY_DASHBOARD_PACK });
    new Sidecar(b, 'sync', { workload: webDeployment(b), name: 'rclone', image: 'rclone/rclone:1.68.2' });
    new SidecarDashboards(b, 'dashboards');
    // WHEN
    const dashboards = dashboardsOf(synth(b));
    // THEN only the overview, and it never names envoy
    expect(dashboards.map(d => d.json.title)).toEqual(['Sidecars: b / Overview']);
    expect(exprsOf(dashboards[0].json).join('\n')).not.toContain('envoy');
  });

  test('a pack\'s dashboard shows the tool panels only for sidecars with a metrics endpoint', () => {
    // GIVEN an Envoy sidecar that Prometheus does not scrape
    const chart = newChart();
    new Sidecar(chart, 'proxy', { workload: webDeployment(chart), name: 'envoy', image: 'envoyproxy/envoy:v1.33.2', dashboardPack: ENVOY_DASHBOARD_PACK });
    new SidecarDashboards(chart, 'dashboards');
    // WHEN
    const envoy = dashboardsOf(synth(chart)).find(d => d.json.title.endsWith('/ Envoy'))!.json;
    // THEN
    expect(envoy.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual(['Containers']);
  });

  test('renderDashboards() returns the same models the ConfigMaps carry', () => {
    const chart = newChart();
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), name: 'rclone', image: 'rclone/rclone:1.68.2' });
    const dashboards = new SidecarDashboards(chart, 'dashboards');
    const configMaps = dashboardsOf(synth(chart));
    expect(dashboards.renderDashboards()).toEqual(Object.fromEntries(configMaps.map(d => [d.file, d.json])));
  });

  test('the dashboards of every example chart synthesize, with valid queries', () => {
    // GIVEN the example app, with SidecarDashboards in each chart that has sidecars
    const app = buildExampleApp(Testing.app());
    for (const chart of app.charts) {
      if (!chart.node.findAll().some(Sidecar.isSidecar)) continue;
      if (!chart.node.findAll().some(c => c instanceof SidecarDashboards)) new SidecarDashboards(chart, 'test-dashboards');
      // WHEN
      const dashboards = dashboardsOf(Testing.synth(chart));
      // THEN
      expect(dashboards.length).toBeGreaterThan(0);
      for (const d of dashboards) for (const expr of exprsOf(d.json)) expect(() => selectorsOf(expr)).not.toThrow();
    }
  });

  test('the public API does not expose the Grafana SDK (jsii cannot export its types)', () => {
    for (const file of ['pack.ts', 'sidecar-dashboards.ts', 'index.ts']) {
      expect(readFileSync(join(__dirname, '..', '..', 'src', 'dashboards', file), 'utf8')).not.toContain('grafana-foundation-sdk');
    }
  });
});

describe('Dashboard packs of your own', () => {
  const rclone = DashboardPack.custom('rclone', {
    title: 'rclone',
    panels: [
      { title: 'Transferred', unit: DashboardUnit.BYTES, queries: [{ expr: 'sum by (pod) (rate(rclone_bytes_transferred_total{$sidecar}[$__rate_interval]))' }] },
      { title: 'Errors', row: 'Failures', type: DashboardPanelType.STAT, queries: [{ expr: 'sum(increase(rclone_errors_total{$sidecar}[1h]))', legend: 'errors' }] },
    ],
  });

  test('a pack shared by several sidecars is one dashboard whose queries match their exact containers', () => {
    // GIVEN two workloads with an rclone sidecar each
    const chart = newChart();
    for (const id of ['web', 'api']) {
      new Sidecar(chart, `${id}-sync`, {
        workload: webDeployment(chart, id),
        name: `${id}-rclone`,
        image: 'rclone/rclone:1.68.2',
        dashboardPack: rclone,
        ports: [{ name: 'rc-metrics', number: 5572 }],
        metrics: { portName: 'rc-metrics' },
      });
    }
    new SidecarDashboards(chart, 'dashboards');
    // WHEN
    const dashboards = dashboardsOf(synth(chart));
    // THEN
    expect(dashboards.map(d => d.json.title)).toEqual(['Sidecars: test / Overview', 'Sidecars: test / rclone']);
    const json = dashboards[1].json;
    expect(json.panels.map((p: any) => [p.type, p.title])).toEqual([
      ['row', 'Containers'], ['timeseries', 'Restarts in the last hour'], ['timeseries', 'CPU: usage, request and limit'], ['timeseries', 'Memory: working set, request and limit'],
      ['row', 'rclone'], ['timeseries', 'Transferred'],
      ['row', 'Failures'], ['stat', 'Errors'],
    ]);
    const transferred = panelsOf(json).find(p => p.title === 'Transferred');
    expect(transferred.targets).toEqual([expect.objectContaining({
      expr: 'sum by (pod) (rate(rclone_bytes_transferred_total{namespace=~"$namespace", pod=~"$pod", container=~"api-rclone|web-rclone"}[$__rate_interval]))',
      legendFormat: '{{pod}}',
      refId: 'A',
    })]);
    expect(transferred.fieldConfig.defaults.unit).toBe('bytes');
    expect(panelsOf(json).find(p => p.title === 'Errors').targets[0]).toEqual(expect.objectContaining({ instant: true, legendFormat: 'errors' }));
    expect(rclone.panelTitles).toEqual(['Transferred', 'Errors']);
  });
});

describe('SidecarDashboards errors', () => {
  const PATH = 'test/dashboards';

  test.each<[string, SidecarDashboardsProps, string]>([
    ['a label key that is not a Kubernetes label key', { label: 'grafana dashboard' },
      `[DASHBOARD_LABEL_INVALID] construct '${PATH}': label name 'grafana dashboard' is not a valid Kubernetes label key. Fix: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' and '.'.`],
    ['a label value that is not a Kubernetes label value', { labelValue: 'yes please' },
      `[DASHBOARD_LABEL_INVALID] construct '${PATH}': the value of label 'grafana_dashboard' is not a valid Kubernetes label value. Fix: use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.`],
    ['a folder annotation that is not a key', { folderAnnotation: 'grafana folder' },
      `[DASHBOARD_FOLDER_INVALID] construct '${PATH}': folder annotation 'grafana folder' is not a valid annotation key. Fix: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' and '.'.`],
    ['a folder on two lines', { folder: 'Shop\nsidecars' },
      `[DASHBOARD_FOLDER_INVALID] construct '${PATH}': folder "Shop\\nsidecars" is not a one-line folder name. Fix: pass the Grafana folder name, e.g. 'Sidecars', or leave 'folder' out.`],
    ['a namespace that is not a DNS label', { namespace: 'Monitoring' },
      `[DASHBOARD_NAMESPACE_INVALID] construct '${PATH}': namespace "Monitoring" is not a valid namespace name. Fix: pass the namespace Grafana's dashboard sidecar watches, a DNS label such as 'monitoring'.`],
    ['an empty title prefix', { titlePrefix: ' ' },
      `[DASHBOARD_TITLE_INVALID] construct '${PATH}': title prefix " " is not a one-line title. Fix: pass a short title such as 'Shop sidecars', or leave 'titlePrefix' out.`],
    ['an empty tag', { tags: [''] },
      `[DASHBOARD_TITLE_INVALID] construct '${PATH}': tag "" is not a one-line tag of at most 50 characters. Fix: pass short tags such as 'sidecars'.`],
    ['a refresh under 5 seconds', { refresh: Duration.seconds(1) },
      `[DURATION_INVALID] construct '${PATH}': 'refresh' is not a whole number of seconds of at least 5. Fix: pass e.g. Duration.seconds(10) as 'refresh'.`],
    ['a time range under a minute', { timeRange: Duration.seconds(30) },
      `[DURATION_INVALID] construct '${PATH}': 'timeRange' is not a whole number of seconds of at least 60. Fix: pass e.g. Duration.seconds(60) as 'timeRange'.`],
  ])('at construction: %s', (_name, props, message) => {
    expect(() => new SidecarDashboards(newChart(), 'dashboards', props)).toThrow(message);
  });

  function withPack(pack: DashboardPack): () => unknown {
    return () => {
      const chart = newChart();
      new Sidecar(chart, 'sync', {
        workload: webDeployment(chart),
        name: 'rclone',
        image: 'rclone/rclone:1.68.2',
        dashboardPack: pack,
        ports: [{ name: 'rc-metrics', number: 5572 }],
        metrics: { portName: 'rc-metrics' },
      });
      new SidecarDashboards(chart, 'dashboards');
      return Testing.synth(chart);
    };
  }
  const ok = { title: 'Errors', queries: [{ expr: 'rate(rclone_errors_total{$sidecar}[$__rate_interval])' }] };

  test.each<[string, DashboardPack, string]>([
    ['a pack name that is not a DNS label', DashboardPack.custom('My Pack', { title: 'x', panels: [ok] }),
      `[DASHBOARD_PACK_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack "My Pack": the name is not a DNS label. Fix: name the pack with lower-case letters, digits and '-', at most 63 characters.`],
    ['a pack without a title', DashboardPack.custom('rclone', { title: '', panels: [ok] }),
      `[DASHBOARD_PACK_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack "rclone": the title is not a one-line title. Fix: give the pack a short title such as 'rclone'.`],
    ['a pack without panels', DashboardPack.custom('rclone', { title: 'rclone', panels: [] }),
      `[DASHBOARD_PACK_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack "rclone": the pack has no panels. Fix: pass at least one panel.`],
    ['a panel without a title', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ ...ok, title: '' }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "": the panel has no one-line title. Fix: give every panel a short title.`],
    ['two panels with one title', DashboardPack.custom('rclone', { title: 'rclone', panels: [ok, ok] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": two panels have this title. Fix: give every panel of the pack its own title.`],
    ['a panel without queries', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ title: 'Errors', queries: [] }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": the panel has no queries. Fix: pass at least one query.`],
    ['a query without $sidecar', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ title: 'Errors', queries: [{ expr: 'rate(rclone_errors_total[5m])' }] }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": query 1 does not use $sidecar, so it would show every container, not the pack's sidecars. Fix: write $sidecar inside the selectors of the sidecar's metrics, e.g. rate(my_errors_total{$sidecar}[$__rate_interval]).`],
    ['an unknown unit', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ ...ok, unit: 'furlongs' as DashboardUnit }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": unit "furlongs" is not one of the DashboardUnit values. Fix: pass one of DashboardUnit.NUMBER, DashboardUnit.PER_SECOND, DashboardUnit.REQUESTS_PER_SECOND, DashboardUnit.RATIO, DashboardUnit.BYTES, DashboardUnit.SECONDS, DashboardUnit.MILLISECONDS.`],
    ['an unknown panel type', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ ...ok, type: 'PIE' as DashboardPanelType }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": type "PIE" is not one of the DashboardPanelType values. Fix: pass DashboardPanelType.TIME_SERIES or DashboardPanelType.STAT.`],
    ['an empty row title', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ ...ok, row: '' }] }),
      `[DASHBOARD_PANEL_INVALID] construct '${PATH}', sidecar 'rclone': dashboard pack 'rclone', panel "Errors": the row is not a one-line title. Fix: give the row a short title, or leave 'row' out.`],
    ['a query that is not PromQL', DashboardPack.custom('rclone', { title: 'rclone', panels: [{ title: 'Errors', queries: [{ expr: 'sum(rate(rclone_errors_total{$sidecar}[$__rate_interval])' }] }] }),
      `[DASHBOARD_PROMQL_INVALID] construct '${PATH}': dashboard 'rclone', panel 'Errors', query 1: the expression is not valid PromQL: syntax error at line 1, character 92 (at the end). Fix: correct the query (check it in the Prometheus expression browser, with Grafana's $__rate_interval replaced by a range such as 5m).`],
  ])('at synth: %s', (_name, pack, message) => {
    expect(withPack(pack)).toThrow(message);
  });

  test('nothing is rendered when a query is invalid', () => {
    const bad = DashboardPack.custom('rclone', { title: 'rclone', panels: [{ title: 'Errors', queries: [{ expr: 'sum({$sidecar}' }] }] });
    expect(withPack(bad)).toThrow(/Validation failed/);
  });

  test('two different packs of one name', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'a', { workload: web, name: 'a', image: 'rclone/rclone:1.68.2', dashboardPack: DashboardPack.custom('rclone', { title: 'a', panels: [ok] }) });
    new Sidecar(chart, 'b', { workload: web, name: 'b', image: 'rclone/rclone:1.68.2', dashboardPack: DashboardPack.custom('rclone', { title: 'b', panels: [ok] }) });
    new SidecarDashboards(chart, 'dashboards');
    expect(() => Testing.synth(chart)).toThrow(
      `[DASHBOARD_PACK_INVALID] construct '${PATH}', sidecar 'b': two different dashboard packs are named 'rclone' (one of them on the sidecar of workload 'test/web'). Fix: give each dashboard pack its own name, or pass the same DashboardPack object to every sidecar of that kind.`,
    );
  });

  test('no sidecar in scope', () => {
    const chart = newChart();
    new SidecarDashboards(chart, 'dashboards');
    expect(() => Testing.synth(chart)).toThrow(
      `[NO_SIDECARS] construct '${PATH}': there is no sidecar in scope 'test'. Fix: create SidecarDashboards in the chart (or app) that holds the sidecars.`,
    );
  });

  test('a namespace that would inject label matchers is refused', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'production"} or vector(1) or up{x="' });
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), name: 'rclone', image: 'rclone/rclone:1.68.2' });
    new SidecarDashboards(chart, 'dashboards');
    expect(() => Testing.synth(chart)).toThrow(
      `[NAMESPACE_INVALID] construct '${PATH}': namespace "production\\"} or vector(1) or up{x=\\"" of workload 'test/web' is not a valid namespace name. Fix: use a DNS label (lower-case letters, digits and '-', at most 63 characters) as the chart's or workload's namespace.`,
    );
  });
});
