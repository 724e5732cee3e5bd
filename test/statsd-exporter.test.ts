import { Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import {
  SidecarKind, SidecarMode, SidecarProfile, StatsdExporterSidecar, StatsdMappingAction, StatsdMatchType,
  StatsdMetricType, StatsdObserverType,
} from '../src';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment } from './util';

const WHO = 'workload \'test/web\', sidecar \'statsd-exporter\'';

describe('StatsdExporterSidecar', () => {
  test('defaults: UDP and TCP 9125, metrics 9102, no mapping config', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const exporter = new StatsdExporterSidecar(chart, 'metrics', { workload: web });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    expect(manifests.filter(m => m.kind === 'ConfigMap')).toEqual([]);
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:statsd-exporter', 'app']);
    const c = container(spec, 'statsd-exporter');
    expect(c.image).toBe('prom/statsd-exporter:v0.28.0');
    expect(c.args).toEqual(['--statsd.listen-udp=:9125', '--statsd.listen-tcp=:9125', '--web.listen-address=:9102']);
    expect(c.ports).toEqual([
      { containerPort: 9125, name: 'statsd-udp', protocol: 'UDP' },
      { containerPort: 9125, name: 'statsd-tcp', protocol: 'TCP' },
      { containerPort: 9102, name: 'statsd-metrics', protocol: 'TCP' },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } });
    expect(c.securityContext).toMatchObject({ runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(c.startupProbe.httpGet).toEqual({ path: '/-/ready', port: 9102, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 9102, scheme: 'HTTP' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 9102, scheme: 'HTTP' });
    expect(container(spec, 'app').env).toEqual([
      { name: 'STATSD_HOST', value: '127.0.0.1' },
      { name: 'STATSD_PORT', value: '9125' },
    ]);
    expect(exporter.kind).toBe(SidecarKind.STATSD_EXPORTER);
    expect(exporter.profile).toBe(SidecarProfile.METRICS_EXPORTER);
    expect(exporter.metrics).toEqual({ portName: 'statsd-metrics', path: '/metrics' });
    expect(exporter.configMap).toBeUndefined();
    expect(exporter.gatesStartup).toBe(true);
  });

  test('mapping rules render to a mapping-config ConfigMap', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const exporter = new StatsdExporterSidecar(chart, 'metrics', {
      workload: web,
      mappings: [
        { match: 'myapp.*.requests', name: 'myapp_requests_total', labels: { endpoint: '$1' }, matchMetricType: StatsdMetricType.COUNTER, help: 'Requests: "all" of them\nper endpoint' },
        {
          match: 'myapp.*.*.latency',
          name: 'myapp_latency_seconds',
          labels: { service: '$1', method: '${2}' },
          observerType: StatsdObserverType.HISTOGRAM,
          histogramBuckets: [0.01, 0.1, 1],
          ttl: Duration.minutes(5),
        },
        { match: '^myapp\\.db\\.(\\w+)\\.(?P<op>\\w+)$', matchType: StatsdMatchType.REGEX, name: 'myapp_db_$1', labels: { op: '$2', full: '$0' }, honorLabels: true },
        { match: 'debug.*', action: StatsdMappingAction.DROP },
      ],
    });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const cm = find(manifests, 'ConfigMap');
    expect(cm.metadata.name).toBe(exporter.configMap!.name);
    expect(parse(cm.data['mapping.yaml'])).toEqual({
      mappings: [
        { match: 'myapp.*.requests', match_metric_type: 'counter', name: 'myapp_requests_total', labels: { endpoint: '$1' }, help: 'Requests: "all" of them\nper endpoint' },
        {
          match: 'myapp.*.*.latency',
          name: 'myapp_latency_seconds',
          labels: { service: '$1', method: '${2}' },
          observer_type: 'histogram',
          histogram_options: { buckets: [0.01, 0.1, 1] },
          ttl: '300s',
        },
        { match: '^myapp\\.db\\.(\\w+)\\.(?P<op>\\w+)$', match_type: 'regex', name: 'myapp_db_$1', labels: { op: '$2', full: '$0' }, honor_labels: true },
        { match: 'debug.*', name: 'dropped', action: 'drop' },
      ],
    });
    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'statsd-exporter');
    expect(c.args).toContain('--statsd.mapping-config=/etc/statsd-exporter/mapping.yaml');
    expect(c.volumeMounts).toEqual([{ mountPath: '/etc/statsd-exporter', name: 'statsd-exporter-mapping', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'statsd-exporter-mapping', configMap: { name: cm.metadata.name } }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  test('a user string cannot add a key or a rule to the mapping file', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const evil = 'x\n- match: "*"\n  name: stolen\n  action: drop';

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', {
      workload: web,
      mappings: [{ match: 'a.*', name: 'a_total', labels: { note: evil }, help: evil }],
    });

    // THEN
    const doc = parse(find(synth(chart), 'ConfigMap').data['mapping.yaml']);
    expect(doc.mappings).toHaveLength(1);
    expect(doc.mappings[0].labels.note).toBe(evil);
    expect(doc.mappings[0].help).toBe(evil);
  });

  test('ports, TCP, env names and mode are props', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', {
      workload: web,
      statsdPort: 8125,
      metricsPort: 9999,
      tcp: false,
      hostEnvName: 'DD_AGENT_HOST',
      portEnvName: 'DD_DOGSTATSD_PORT',
      mode: SidecarMode.LEGACY,
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['statsd-exporter', 'app']);
    const c = container(spec, 'statsd-exporter');
    expect(c.args).toEqual(['--statsd.listen-udp=:8125', '--statsd.listen-tcp=', '--web.listen-address=:9999']);
    expect(c.ports.map((p: any) => `${p.name}:${p.containerPort}/${p.protocol}`)).toEqual(['statsd-udp:8125/UDP', 'statsd-metrics:9999/TCP']);
    expect(container(spec, 'app').env).toEqual([
      { name: 'DD_AGENT_HOST', value: '127.0.0.1' },
      { name: 'DD_DOGSTATSD_PORT', value: '8125' },
    ]);
  });

  test('a port collision with the app is refused (PodSidecars)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9102 }] });

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: web });

    // THEN
    expect(() => synth(chart)).toThrow(`${WHO}: port 9102/TCP is also used by container 'app' (containers of a pod share one network namespace). Fix: move one of them to a free port (set this sidecar's port props, or the port of 'app').`);
  });

  test('a LEGACY exporter on a CronJob is refused (PodSidecars); NATIVE is fine', () => {
    // GIVEN
    const chart = newChart();
    const cron = new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    const native = newChart();
    const nativeCron = new kplus.CronJob(native, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: cron, mode: SidecarMode.LEGACY });
    new StatsdExporterSidecar(native, 'metrics', { workload: nativeCron });

    // THEN
    expect(() => synth(chart)).toThrow("workload 'test/cron', sidecar 'statsd-exporter': a LEGACY sidecar is an ordinary container that never exits");
    expect(containerOrder(podSpec(find(synth(native), 'CronJob')))).toEqual(['init:statsd-exporter', 'app']);
  });

  describe('bad input', () => {
    const cases: [string, any, string][] = [
      ['statsd port', { statsdPort: 0 }, 'statsdPort 0 is not a valid port number. Fix: use an integer from 1 to 65535 as \'statsdPort\'.'],
      ['metrics port', { metricsPort: 65536 }, 'metricsPort 65536 is not a valid port number. Fix: use an integer from 1 to 65535 as \'metricsPort\'.'],
      ['same ports', { statsdPort: 9102 }, 'the StatsD TCP port and the metrics port are both 9102. Fix: give \'statsdPort\' and \'metricsPort\' different numbers, or set \'tcp\' to false.'],
      ['empty match', { mappings: [{ match: '', name: 'a_total' }] }, 'mapping 0 has an empty \'match\'. Fix: pass the StatsD metric names the rule matches.'],
      ['bad glob', { mappings: [{ match: 'a.b*c', name: 'a_total' }] },
        'mapping 0 (\'a.b*c\') is not a valid glob. Fix: use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression.'],
      ['glob with a leading digit', { mappings: [{ match: '1app.x', name: 'a_total' }] },
        'mapping 0 (\'1app.x\') is not a valid glob. Fix: use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression.'],
      ['bad regex', { mappings: [{ match: 'a(b', matchType: StatsdMatchType.REGEX, name: 'a_total' }] },
        'mapping 0 (\'a(b\') is not a valid regular expression (Invalid regular expression: /a(b|/: Unterminated group). Fix: correct the expression (RE2 syntax).'],
      ['lookahead', { mappings: [{ match: 'a(?=b)', matchType: StatsdMatchType.REGEX, name: 'a_total' }] },
        'mapping 0 (\'a(?=b)\') uses a lookaround, which the exporter\'s regular expressions (RE2) do not support. Fix: rewrite the expression without (?=, (?!, (?<= or (?<!.'],
      ['backreference', { mappings: [{ match: '(a)\\1', matchType: StatsdMatchType.REGEX, name: 'a_total' }] },
        'mapping 0 (\'(a)\\1\') uses a backreference, which the exporter\'s regular expressions (RE2) do not support. Fix: rewrite the expression without \\1, \\2, ....'],
      ['no name', { mappings: [{ match: 'a.*' }] },
        'mapping 0 (\'a.*\') has no metric name. Fix: pass \'name\', the Prometheus metric the matched StatsD metrics become.'],
      ['bad name', { mappings: [{ match: 'a.*', name: 'a.total' }] },
        'mapping 0 (\'a.*\'): \'a.total\' is not a valid metric name. Fix: use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures.'],
      ['colon in name', { mappings: [{ match: 'a.*', name: 'job:a_total' }] },
        'mapping 0 (\'a.*\'): \'job:a_total\' is not a valid metric name. Fix: use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures.'],
      ['capture out of range in name', { mappings: [{ match: 'a.*', name: 'a_$2_total' }] },
        'mapping 0 (\'a.*\'): name \'a_$2_total\' uses $2, but the match has 1 capture. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['$0 in a glob', { mappings: [{ match: 'a.b', name: 'a_total', labels: { full: '$0' } }] },
        'mapping 0 (\'a.b\'): label \'full\' uses $0, but the match has 0 captures. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['capture out of range in a regex label', { mappings: [{ match: 'a\\.(\\w+)', matchType: StatsdMatchType.REGEX, name: 'a_total', labels: { xx: '${2}' } }] },
        'mapping 0 (\'a\\.(\\w+)\'): label \'xx\' uses $2, but the match has 1 capture. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['bad label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { 'my-label': '$1' } }] },
        'mapping 0 (\'a.*\'): \'my-label\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['reserved label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { __name__: 'x' } }] },
        'mapping 0 (\'a.*\'): \'__name__\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['one-letter label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { a: 'x' } }] },
        'mapping 0 (\'a.*\'): \'a\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['buckets without histogram', { mappings: [{ match: 'a.*', name: 'a_seconds', histogramBuckets: [1, 2] }] },
        'mapping 0 (\'a.*\') has histogram buckets but is not a histogram. Fix: set \'observerType\' to StatsdObserverType.HISTOGRAM, or drop \'histogramBuckets\'.'],
      ['unsorted buckets', { mappings: [{ match: 'a.*', name: 'a_seconds', observerType: StatsdObserverType.HISTOGRAM, histogramBuckets: [1, 1] }] },
        'mapping 0 (\'a.*\'): histogram buckets [1, 1] are not finite and strictly increasing. Fix: pass e.g. [0.005, 0.01, 0.05, 0.1, 0.5, 1].'],
      ['bad ttl', { mappings: [{ match: 'a.*', name: 'a_total', ttl: Duration.millis(1500) }] },
        'mapping 0 (\'a.*\'): the ttl is not a whole, positive number of seconds. Fix: pass e.g. Duration.minutes(5) as \'ttl\'.'],
      ['bad match type', { mappings: [{ match: 'a.*', name: 'a_total', matchType: 'prefix' }] },
        'mapping 0 (\'a.*\'): \'prefix\' is not a match type. Fix: pass a StatsdMatchType.'],
      ['bad action', { mappings: [{ match: 'a.*', name: 'a_total', action: 'keep' }] },
        'mapping 0 (\'a.*\'): \'keep\' is not a mapping action. Fix: pass a StatsdMappingAction.'],
      ['bad observer type', { mappings: [{ match: 'a.*', name: 'a_total', observerType: 'timer' }] },
        'mapping 0 (\'a.*\'): \'timer\' is not an observer type. Fix: pass a StatsdObserverType.'],
      ['bad metric type', { mappings: [{ match: 'a.*', name: 'a_total', matchMetricType: 'set' }] },
        'mapping 0 (\'a.*\'): \'set\' is not a metric type. Fix: pass a StatsdMetricType.'],
      ['bad env name', { hostEnvName: 'STATSD-HOST' },
        '\'STATSD-HOST\' is not a valid environment variable name. Fix: use letters, digits and \'_\', not starting with a digit.'],
    ];
    test.each(cases)('%s', (_, props, message) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      // WHEN / THEN
      expect(() => new StatsdExporterSidecar(chart, 'metrics', { workload: web, ...props })).toThrow(`${WHO}: ${message}`);
    });
  });
});
