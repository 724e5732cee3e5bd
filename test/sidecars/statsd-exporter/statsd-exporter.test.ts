import { readFileSync } from 'fs';
import { join } from 'path';
import { Chart, Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import {
  SidecarMode, SidecarProfile, StatsdExporterSidecar, StatsdExporterSidecarProps, StatsdMappingAction, StatsdMatchType,
  StatsdMetricType, StatsdObserverType,
} from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import { DEFAULT_NAME, statsdExporterSpec } from '../../../src/sidecars/statsd-exporter/spec';
import { container, containerOrder, find, newChart, podMetadata, podSpec, synth, webDeployment, pureSpec } from '../../util';

const WHO = 'workload \'test/web\', sidecar \'statsd-exporter\'';
const ROLLOUT = 'config.cdk8s-sidecars.io/statsd-exporter';
const MAPPING = { match: 'myapp.*.requests', name: 'myapp_requests_total', labels: { endpoint: '$1' } };

/** The start of an error message: its code and who it is about. */
function error(code: string, who = WHO): string {
  return `[${code}] ${who}: `;
}

/** The pod template's annotations of the Deployment in `manifests`. */
function podAnnotations(manifests: any[]): { [key: string]: string } {
  return podMetadata(find(manifests, 'Deployment')).annotations ?? {};
}

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
    // main.go at v0.28.0: --web.listen-address (line 247), --statsd.listen-udp (250),
    // --statsd.listen-tcp (251), --statsd.mapping-config (255); /-/healthy (533), /-/ready (541).
    // Issue #14, defect 9: StatsD on the loopback only (the app is in the pod); metrics on every interface for Prometheus.
    expect(c.args).toEqual(['--statsd.listen-udp=127.0.0.1:9125', '--statsd.listen-tcp=127.0.0.1:9125', '--web.listen-address=:9102']);
    expect(c.ports).toEqual([
      { containerPort: 9125, name: 'statsd-udp', protocol: 'UDP' },
      { containerPort: 9125, name: 'statsd-tcp', protocol: 'TCP' },
      { containerPort: 9102, name: 'statsd-metrics', protocol: 'TCP' },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } });
    expect(c.securityContext).toMatchObject({ runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, readOnlyRootFilesystem: true });
    // UDP, fire and forget: the app does not need the exporter at start, so it does not hold the chain
    expect(c.startupProbe).toBeUndefined();
    expect(c.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 9102, scheme: 'HTTP' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 9102, scheme: 'HTTP' });
    expect(container(spec, 'app').env).toEqual([
      { name: 'STATSD_HOST', value: '127.0.0.1' },
      { name: 'STATSD_PORT', value: '9125' },
    ]);
    expect(exporter.kind).toBe('statsd-exporter');
    expect(exporter.profile).toBe(SidecarProfile.METRICS_EXPORTER);
    expect(exporter.metrics).toEqual({ portName: 'statsd-metrics', path: '/metrics' });
    expect(exporter.alertPack).toBe(StatsdExporterSidecar.ALERT_PACK);
    expect(exporter.configMap).toBeUndefined();
    expect(exporter.configDigest).toBeUndefined();
    expect(podAnnotations(manifests)[ROLLOUT]).toBeUndefined();
    expect(exporter.gatesStartup).toBe(false);
    // It stops with the app: its preStop sends the exporter (PID 1, the image's entrypoint) SIGTERM
    // at the deletion's start, so it leaves the kubelet's sequential termination after the app
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sh', '-c', 'kill -TERM 1'] } } });
    expect(exporter.stopsWithApp).toBe(true);
    expect(c.command).toBeUndefined();
    expect(spec.terminationGracePeriodSeconds).toBe(30);
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
    // The keys as statsd_exporter v0.28.0 reads them: `mappings` (pkg/mapper/mapper.go:47);
    // match, name, labels, honor_labels, observer_type, match_type, help, action,
    // match_metric_type, ttl, histogram_options (pkg/mapper/mapping.go:26-44), and its
    // `buckets` (pkg/mapper/mapper.go:67).
    expect(parse(cm.data['mapping.yaml'])).toEqual({
      mappings: [
        { match: 'myapp.*.requests', match_metric_type: 'counter', name: 'myapp_requests_total', labels: { endpoint: '${1}' }, help: 'Requests: "all" of them\nper endpoint' },
        {
          match: 'myapp.*.*.latency',
          name: 'myapp_latency_seconds',
          labels: { service: '${1}', method: '${2}' },
          observer_type: 'histogram',
          histogram_options: { buckets: [0.01, 0.1, 1] },
          ttl: '300s',
        },
        { match: '^myapp\\.db\\.(\\w+)\\.(?P<op>\\w+)$', match_type: 'regex', name: 'myapp_db_${1}', labels: { op: '${2}', full: '${0}' }, honor_labels: true },
        { match: 'debug.*', name: 'dropped', action: 'drop' },
      ],
    });
    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'statsd-exporter');
    expect(c.args).toContain('--statsd.mapping-config=/etc/statsd-exporter/mapping.yaml');
    expect(c.volumeMounts).toEqual([{ mountPath: '/etc/statsd-exporter', name: 'statsd-exporter-config', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'statsd-exporter-config', configMap: { name: cm.metadata.name } }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  test('a mapping change rolls the pods: the exporter reads mapping.yaml only at start', () => {
    // GIVEN two apps that differ only in one mapping rule
    const build = (name: string) => {
      const chart = newChart();
      const exporter = new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), mappings: [{ ...MAPPING, name }] });
      return { exporter, manifests: synth(chart) };
    };

    // WHEN
    const one = build('myapp_requests_total');
    const same = build('myapp_requests_total');
    const other = build('myapp_calls_total');

    // THEN the pod template carries the digest of the mapping file, and only a changed file changes it
    expect(one.exporter.configDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(podAnnotations(one.manifests)).toEqual({ [ROLLOUT]: one.exporter.configDigest });
    expect(podAnnotations(same.manifests)[ROLLOUT]).toBe(one.exporter.configDigest);
    expect(podAnnotations(other.manifests)[ROLLOUT]).toBe(other.exporter.configDigest);
    expect(other.exporter.configDigest).not.toBe(one.exporter.configDigest);
  });

  test('user: 1000 keeps the image\'s gid 65534', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: web, user: 1000 });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'statsd-exporter');
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 65534 });
  });

  test('created in a chart of another namespace, its ConfigMap is in the workload\'s namespace', () => {
    // GIVEN a workload in 'production' and a chart in 'tools'
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const web = webDeployment(chart);
    const tools = new Chart(app, 'tools', { namespace: 'tools' });

    // WHEN
    const exporter = new StatsdExporterSidecar(tools, 'metrics', { workload: web, mappings: [MAPPING] });

    // THEN the ConfigMap (synthesized with the sidecar's chart) is where the pod can mount it
    const cm = find(synth(tools), 'ConfigMap');
    expect(cm.metadata).toEqual({ name: exporter.configMap!.name, namespace: 'production' });
    const manifests = synth(chart);
    expect(podSpec(find(manifests, 'Deployment')).volumes).toEqual([{ name: 'statsd-exporter-config', configMap: { name: cm.metadata.name } }]);
    expect(podAnnotations(manifests)[ROLLOUT]).toBe(exporter.configDigest);
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
    expect(c.args).toEqual(['--statsd.listen-udp=127.0.0.1:8125', '--statsd.listen-tcp=', '--web.listen-address=:9999']);
    expect(c.ports.map((p: any) => `${p.name}:${p.containerPort}/${p.protocol}`)).toEqual(['statsd-udp:8125/UDP', 'statsd-metrics:9999/TCP']);
    expect(container(spec, 'app').env).toEqual([
      { name: 'DD_AGENT_HOST', value: '127.0.0.1' },
      { name: 'DD_DOGSTATSD_PORT', value: '8125' },
    ]);
    // LEGACY: an ordinary container stops with the app anyway: no stop hook
    expect(c.lifecycle).toBeUndefined();
  });

  test('without TCP, the StatsD port may have the metrics port\'s number (UDP)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: web, statsdPort: 9102, tcp: false });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'statsd-exporter');
    expect(c.ports.map((p: any) => `${p.containerPort}/${p.protocol}`)).toEqual(['9102/UDP', '9102/TCP']);
  });

  test('a port collision with the app is refused (PORT_IN_USE)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9102 }] });

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: web });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 9102/TCP ('metricsPort') is also used by container 'app' (containers of a pod share one network namespace). Fix: `);
  });

  test('a LEGACY exporter on a CronJob is refused (LEGACY_ON_COMPLETION); NATIVE is fine', () => {
    // GIVEN
    const chart = newChart();
    const cron = new kplus.CronJob(chart, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    const native = newChart();
    const nativeCron = new kplus.CronJob(native, 'cron', { schedule: Cron.hourly(), containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN
    new StatsdExporterSidecar(chart, 'metrics', { workload: cron, mode: SidecarMode.LEGACY });
    new StatsdExporterSidecar(native, 'metrics', { workload: nativeCron });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/cron\', sidecar \'statsd-exporter\'')}a LEGACY sidecar is an ordinary container that never exits`);
    expect(containerOrder(podSpec(find(synth(native), 'CronJob')))).toEqual(['init:statsd-exporter', 'app']);
  });

  describe('bad input', () => {
    const MAPPING_INVALID = 'STATSD_MAPPING_INVALID';
    const cases: [string, any, string, string][] = [
      ['statsd port', { statsdPort: 0 }, 'PORT_INVALID', '\'statsdPort\' 0 is not a valid port number. Fix: '],
      ['metrics port', { metricsPort: 65536 }, 'PORT_INVALID', '\'metricsPort\' 65536 is not a valid port number. Fix: '],
      ['same ports', { statsdPort: 9102 }, 'PORT_DUPLICATE', '\'statsdPort\' and \'metricsPort\' are both 9102. Fix: '],
      ['empty match', { mappings: [{ match: '', name: 'a_total' }] }, MAPPING_INVALID, 'mapping 0 has an empty \'match\'. Fix: pass the StatsD metric names the rule matches.'],
      ['bad glob', { mappings: [{ match: 'a.b*c', name: 'a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.b*c\') is not a valid glob. Fix: use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression.'],
      ['glob with a leading digit', { mappings: [{ match: '1app.x', name: 'a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'1app.x\') is not a valid glob. Fix: use dot-separated components of letters, digits, \'_\' and \'-\' (the first not starting with a digit), or \'*\' for a whole component; use StatsdMatchType.REGEX for a regular expression.'],
      ['bad regex', { mappings: [{ match: 'a(b', matchType: StatsdMatchType.REGEX, name: 'a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a(b\') is not a valid regular expression (missing closing ): `a(b`). Fix: correct the expression (RE2 syntax, as Go\'s regexp package reads it).'],
      // A trailing backslash once escaped the check's own '|' and crashed it (found by the property tests).
      ['a regex ending in a backslash', { mappings: [{ match: 'x\\', matchType: StatsdMatchType.REGEX, name: 'x_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'x\\\') is not a valid regular expression (trailing backslash at end of expression). Fix: correct the expression (RE2 syntax, as Go\'s regexp package reads it).'],
      ['lookahead', { mappings: [{ match: 'a(?=b)', matchType: StatsdMatchType.REGEX, name: 'a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a(?=b)\') uses a lookaround, which the exporter\'s regular expressions (RE2) do not support. Fix: rewrite the expression without (?=, (?!, (?<= or (?<!.'],
      ['backreference', { mappings: [{ match: '(a)\\1', matchType: StatsdMatchType.REGEX, name: 'a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'(a)\\1\') uses a backreference, which the exporter\'s regular expressions (RE2) do not support. Fix: rewrite the expression without \\1, \\2, ....'],
      ['no name', { mappings: [{ match: 'a.*' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\') has no metric name. Fix: pass \'name\', the Prometheus metric the matched StatsD metrics become.'],
      ['bad name', { mappings: [{ match: 'a.*', name: 'a.total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'a.total\' is not a valid metric name. Fix: use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures.'],
      ['colon in name', { mappings: [{ match: 'a.*', name: 'job:a_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'job:a_total\' is not a valid metric name. Fix: use letters, digits and \'_\', not starting with a digit, with $1 or ${1} for captures.'],
      ['capture out of range in name', { mappings: [{ match: 'a.*', name: 'a_$2_total' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): name \'a_$2_total\' uses $2, but the match has 1 capture. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['$0 in a glob', { mappings: [{ match: 'a.b', name: 'a_total', labels: { full: '$0' } }] }, MAPPING_INVALID,
        'mapping 0 (\'a.b\'): label \'full\' uses $0, but the match has 0 captures. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['capture out of range in a regex label', { mappings: [{ match: 'a\\.(\\w+)', matchType: StatsdMatchType.REGEX, name: 'a_total', labels: { xx: '${2}' } }] }, MAPPING_INVALID,
        'mapping 0 (\'a\\.(\\w+)\'): label \'xx\' uses $2, but the match has 1 capture. Fix: refer only to the match\'s captures ($1 for the first \'*\' or group).'],
      ['bad label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { 'my-label': '$1' } }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'my-label\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['reserved label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { __name__: 'x' } }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'__name__\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['one-letter label name', { mappings: [{ match: 'a.*', name: 'a_total', labels: { a: 'x' } }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'a\' is not a valid label name. Fix: use at least two letters, digits and \'_\', not starting with a digit or \'__\'.'],
      ['label without a string value', { mappings: [{ match: 'a.*', name: 'a_total', labels: { path: 1 } }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): label \'path\' has no string value. Fix: pass a string.'],
      ['buckets without histogram', { mappings: [{ match: 'a.*', name: 'a_seconds', histogramBuckets: [1, 2] }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\') has histogram buckets but is not a histogram. Fix: set \'observerType\' to StatsdObserverType.HISTOGRAM, or drop \'histogramBuckets\'.'],
      ['unsorted buckets', { mappings: [{ match: 'a.*', name: 'a_seconds', observerType: StatsdObserverType.HISTOGRAM, histogramBuckets: [1, 1] }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): histogram buckets [1, 1] are not finite and strictly increasing. Fix: pass e.g. [0.005, 0.01, 0.05, 0.1, 0.5, 1].'],
      ['bad ttl', { mappings: [{ match: 'a.*', name: 'a_total', ttl: Duration.millis(1500) }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): the ttl is not a whole, positive number of seconds. Fix: pass e.g. Duration.minutes(5) as \'ttl\'.'],
      ['bad match type', { mappings: [{ match: 'a.*', name: 'a_total', matchType: 'prefix' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'prefix\' is not a match type. Fix: pass a StatsdMatchType.'],
      ['bad action', { mappings: [{ match: 'a.*', name: 'a_total', action: 'keep' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'keep\' is not a mapping action. Fix: pass a StatsdMappingAction.'],
      ['bad observer type', { mappings: [{ match: 'a.*', name: 'a_total', observerType: 'timer' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'timer\' is not an observer type. Fix: pass a StatsdObserverType.'],
      ['bad metric type', { mappings: [{ match: 'a.*', name: 'a_total', matchMetricType: 'set' }] }, MAPPING_INVALID,
        'mapping 0 (\'a.*\'): \'set\' is not a metric type. Fix: pass a StatsdMetricType.'],
      ['bad host env name', { hostEnvName: '1HOST' }, 'ENV_NAME_INVALID', '\'1HOST\' in \'hostEnvName\' is not a valid environment variable name. Fix: '],
      ['bad port env name', { portEnvName: 'STATSD PORT' }, 'ENV_NAME_INVALID', '\'STATSD PORT\' in \'portEnvName\' is not a valid environment variable name. Fix: '],
    ];
    test.each(cases)('%s', (_, props, code, message) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      // WHEN / THEN
      expect(() => new StatsdExporterSidecar(chart, 'metrics', { workload: web, ...props })).toThrow(`${error(code)}${message}`);
    });
  });
});

describe('statsdExporterSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: StatsdExporterSidecarProps = { workload: webDeployment(chart), mappings: [MAPPING], tcp: false };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, statsdExporterSpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'prom/statsd-exporter:v0.28.0',
      imageUser: 65534,
      imageGroup: 65534,
      kind: 'statsd-exporter',
      profile: SidecarProfile.METRICS_EXPORTER,
      alertPack: StatsdExporterSidecar.ALERT_PACK,
      metrics: { portName: 'statsd-metrics', path: '/metrics' },
      ports: [
        { name: 'statsd-udp', number: 9125, protocol: kplus.Protocol.UDP, prop: 'statsdPort' },
        { name: 'statsd-metrics', number: 9102, protocol: kplus.Protocol.TCP, prop: 'metricsPort' },
      ],
      configDir: '/etc/statsd-exporter',
    });
    expect(spec.args).toContain('--statsd.mapping-config=/etc/statsd-exporter/mapping.yaml');
    expect(Object.keys(spec.configFiles!)).toEqual(['mapping.yaml']);
    expect(parse(spec.configFiles!['mapping.yaml'])).toEqual({ mappings: [{ ...MAPPING, labels: { endpoint: '${1}' } }] });
    expect(Object.keys(spec.appEnvVariables!)).toEqual(['STATSD_HOST', 'STATSD_PORT']);
  });

  test('no mappings, no config file', () => {
    // GIVEN
    const chart = newChart();
    const props: StatsdExporterSidecarProps = { workload: webDeployment(chart) };

    // WHEN
    const spec = statsdExporterSpec(props, specContext(chart, props, DEFAULT_NAME));

    // THEN
    expect(spec.configFiles).toBeUndefined();
    expect(spec.args!.some(a => a.startsWith('--statsd.mapping-config'))).toBe(false);
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const chart = newChart();
    const props: StatsdExporterSidecarProps = { workload: webDeployment(chart), mappings: [{ match: 'a.*' }] };

    // WHEN
    let raised: unknown;
    try {
      statsdExporterSpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'STATSD_MAPPING_INVALID', problem: 'mapping 0 (\'a.*\') has no metric name' });
  });
});

/**
 * The oracles: how statsd_exporter v0.28.0 expands names and label values, transcribed
 * from its source (independent of the library's renderer).
 *
 * Glob rules: pkg/mapper/fsm/formatter.go. NewTemplateFormatter (lines 35-61) finds every
 * `\$\{?([a-zA-Z0-9_\$]+)\}?` (line 24, greedy); a reference that is not a number from 1 to
 * the capture count is replaced by '' (lines 45-49), the others by %s; Format (lines
 * 65-76) returns the template as it is without references, else fmt.Sprintf(template,
 * captures...). Of Sprintf, `%%` is '%' and `%s` the next argument; any other verb is
 * mangled (`%!x(...)`).
 */
function globExpand(template: string, captures: string[]): string {
  const re = /\$\{?([a-zA-Z0-9_$]+)\}?/g;
  const matches = [...template.matchAll(re)];
  if (matches.length === 0) return template;
  let fmt = template;
  const indexes: number[] = [];
  for (const m of matches) {
    const idx = /^-?\d+$/.test(m[1]) ? Number(m[1]) : NaN;
    if (Number.isNaN(idx) || idx > captures.length || idx < 1) {
      fmt = fmt.split(m[0]).join('');
    } else {
      fmt = fmt.split(m[0]).join('%s');
      indexes.push(idx - 1);
    }
  }
  if (indexes.length === 0) return fmt;
  let out = '';
  let arg = 0;
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') { out += fmt[i]; continue; }
    const verb = fmt[++i];
    if (verb === '%') out += '%';
    else if (verb === 's') out += captures[indexes[arg++]];
    else out += `%!${verb}(MANGLED)`;
  }
  return out;
}

/**
 * Regex rules: pkg/mapper/mapper.go:352 and 365 call Go's regexp.ExpandString. Its
 * `extract` (regexp.go): `$name` is the longest run of letters, digits and '_', `${name}`
 * up to '}'; a name of digits only is a group number, any other name a named group;
 * `$$` is '$'; an unknown group expands to ''.
 */
function regexExpand(template: string, pattern: string, input: string): string {
  const m = new RegExp(pattern.replace(/\(\?P</g, '(?<')).exec(input)!;
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, whole, braced, bare) => {
    if (whole === '$') return '$';
    const name = braced ?? bare;
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    return m.groups?.[name] ?? '';
  });
}

/** The rendered mapping rules of one sidecar. */
function rendered(mappings: any[]): any[] {
  const chart = newChart();
  new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), mappings });
  return parse(find(synth(chart), 'ConfigMap').data['mapping.yaml']).mappings;
}

describe('issue #14: names and labels mean what they say to the real formatter', () => {
  test('the oracles reproduce the exporter\'s mangling of $1_total', () => {
    expect(globExpand('myapp_$1_total', ['GET'])).toBe('myapp_');
    expect(globExpand('myapp_${1}_total', ['GET'])).toBe('myapp_GET_total');
    expect(regexExpand('myapp_$1_total', 'jobs\\.(\\w+)', 'jobs.email')).toBe('myapp_');
    expect(globExpand('100% $1', ['x'])).toContain('%!');
  });

  test.each([
    ['myapp_$1_total', ['GET'], 'myapp_GET_total'],
    ['$1_$2_total', ['GET', '200'], 'GET_200_total'],
    ['$1$2', ['GET', '200'], 'GET200'],
    ['${1}x', ['GET'], 'GETx'],
  ])('glob name %j', (name, captures, expected) => {
    // GIVEN a glob with as many '*' as captures
    const match = ['myapp', ...captures.map(() => '*')].join('.');
    // WHEN
    const [rule] = rendered([{ match, name }]);
    // THEN the exporter's formatter makes the intended name of it
    expect(globExpand(rule.name, captures)).toBe(expected);
  });

  test('glob label values: captures followed by letters, and a literal %', () => {
    const [rule] = rendered([{ match: 'myapp.*.*', name: 'myapp_requests_total', labels: { handler: '$1_v2', share: '100% of $2', plain: '50%' } }]);
    expect(globExpand(rule.labels.handler, ['users', 'x'])).toBe('users_v2');
    expect(globExpand(rule.labels.share, ['users', 'GET'])).toBe('100% of GET');
    // without a reference the formatter keeps the template as it is: no Sprintf, no escaping
    expect(rule.labels.plain).toBe('50%');
    expect(globExpand(rule.labels.plain, ['users', 'GET'])).toBe('50%');
  });

  test('regex names and labels: numbered and named groups', () => {
    const match = '^myapp\\.jobs\\.(\\w+)\\.(?P<outcome>\\w+)$';
    const [rule] = rendered([{ match, matchType: StatsdMatchType.REGEX, name: 'myapp_$1_total', labels: { outcome: '$outcome', job: 'job_$1_x', whole: '$0' } }]);
    const input = 'myapp.jobs.email.failed';
    expect(regexExpand(rule.name, match, input)).toBe('myapp_email_total');
    expect(regexExpand(rule.labels.outcome, match, input)).toBe('failed');
    expect(regexExpand(rule.labels.job, match, input)).toBe('job_email_x');
    expect(regexExpand(rule.labels.whole, match, input)).toBe(input);
  });

  test.each([
    ['a stray $ in a label', { match: 'a.*', name: 'a_total', labels: { cost: 'US$' } }, 'mapping 0 (\'a.*\'): label \'cost\' has a \'$\' that starts no capture reference. Fix: write $1 or ${1} for a capture; the exporter has no escape for a literal \'$\'.'],
    ['a named reference in a glob', { match: 'a.*', name: 'a_total', labels: { op: '$op' } }, 'mapping 0 (\'a.*\'): label \'op\' uses ${op}, which names no capture of the match. Fix: refer to the glob\'s captures by number: $1 for the first \'*\'.'],
    ['an unknown group in a regex', { match: 'a\\.(\\w+)', matchType: StatsdMatchType.REGEX, name: 'a_total', labels: { op: '$opx' } }, 'mapping 0 (\'a\\.(\\w+)\'): label \'op\' uses ${opx}, which names no capture of the match.'],
  ])('%s is refused', (_label, mapping, message) => {
    const chart = newChart();
    expect(() => new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), mappings: [mapping as any] })).toThrow(`${error('STATSD_MAPPING_INVALID')}${message}`);
  });
});

describe('issue #14: regular expressions are checked by RE2', () => {
  test.each([
    ['\\Z at the end', 'a\\.b\\Z', 'invalid escape sequence: `\\Z`'],
    ['a repeat over 1000', 'a{1001}', 'invalid repeat count: `{1001}`'],
    ['a possessive quantifier', 'a++', 'invalid nested repetition operator: `++`'],
  ])('%s is refused', (_label, match, reason) => {
    const chart = newChart();
    expect(() => new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), mappings: [{ match, matchType: StatsdMatchType.REGEX, name: 'a_total' }] }))
      .toThrow(`${error('STATSD_MAPPING_INVALID')}mapping 0 ('${match}') is not a valid regular expression (${reason}).`);
  });

  test.each([
    ['case-insensitive flag', '(?i)^myapp\\.(\\w+)$', 1],
    ['a named group, Python style', '^myapp\\.(?P<op>\\w+)$', 1],
    ['a Unicode class', '^myapp\\.(\\p{L}+)$', 1],
    ['a repeat of 1000', '^a{1000}$', 0],
  ])('%s is accepted', (_label, match, captures) => {
    const [rule] = rendered([{ match, matchType: StatsdMatchType.REGEX, name: 'a_total', labels: captures ? { part: '$1' } : undefined }]);
    expect(rule.match).toBe(match);
  });
});

describe('issue #14: listening address and docs', () => {
  test.each([
    ['0.0.0.0', '0.0.0.0:9125', '127.0.0.1'],
    ['::1', '[::1]:9125', '::1'],
    ['::', '[::]:9125', '::1'],
  ])('statsdAddress %s', (statsdAddress, listen, host) => {
    const chart = newChart();
    new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), statsdAddress });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'statsd-exporter').args.slice(0, 2)).toEqual([`--statsd.listen-udp=${listen}`, `--statsd.listen-tcp=${listen}`]);
    expect(container(spec, 'app').env[0]).toEqual({ name: 'STATSD_HOST', value: host });
  });

  test('a listening address the app cannot reach is refused', () => {
    const chart = newChart();
    expect(() => new StatsdExporterSidecar(chart, 'metrics', { workload: webDeployment(chart), statsdAddress: '10.0.0.5' })).toThrow(
      `${error('STATSD_ADDRESS_INVALID')}'statsdAddress' "10.0.0.5" is not an address the exporter can listen on for the app. Fix: pass '127.0.0.1' (the pod only, the default) or '0.0.0.0' (other pods too), or '::1' or '::' for IPv6.`);
  });

  test('the docs say how the exporter really matches: globs first, regexes unanchored', () => {
    // mapper.go at v0.28.0: GetMapping tries the glob FSM first (lines 307-339) and returns
    // its match; only then the regex rules in order, with FindStringSubmatchIndex (line 347,
    // a search, not a whole-name match).
    const doc = readFileSync(join(__dirname, '../../../docs/sidecars/statsd-exporter.md'), 'utf8');
    expect(doc).toContain('Glob rules are tried before regex rules, whatever their order');
    expect(doc).toContain('A regex matches anywhere in the name');
    expect(doc).not.toMatch(/first matching glob or regex rule wins/);
  });
});
