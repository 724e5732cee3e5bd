import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { FlbConfig, KNOWN_KEYS, prop, Props, readFlbYaml, unknownKeys } from './flb-yaml';
import { FluentBitChart } from '../../../examples/fluent-bit';
import { PodSidecars, Sidecar, SidecarImages, SidecarMode, SidecarProfile } from '../../../src/core';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import {
  FluentBitHttpFormat, FluentBitLogLevel, FluentBitLokiLineFormat, FluentBitMultilineParser, FluentBitOutput, FluentBitParserFormat,
  FluentBitSidecar, FluentBitSidecarProps,
} from '../../../src/sidecars/fluent-bit';
import { DEFAULT_NAME, fluentBitSpec } from '../../../src/sidecars/fluent-bit/spec';
import * as yamlModule from '../../../src/sidecars/fluent-bit/yaml';
import { renderYaml, YamlError } from '../../../src/sidecars/fluent-bit/yaml';
import { container, containerOrder, find, newChart, podMetadata, podSpec, synth, webDeployment, pureSpec } from '../../util';

const ROLLOUT = 'config.cdk8s-sidecars.io/fluent-bit';

/** The ConfigMap of the sidecar, its file read by the independent reader. */
function configOf(manifests: any[]): { config: FlbConfig; raw: any } {
  const cm = find(manifests, 'ConfigMap');
  expect(Object.keys(cm.data)).toEqual(['fluent-bit.yaml']);
  return { config: readFlbYaml(cm.data['fluent-bit.yaml']), raw: cm };
}

/**
 * The error every sidecar error has: its code, who, what, how to fix (without `fix`,
 * the message up to the fix: the checks vocabulary words its own fixes).
 */
function err(code: string, problem: string, fix?: string, sidecar = 'fluent-bit', workload = 'test/web'): string {
  return `[${code}] workload '${workload}', sidecar '${sidecar}': ${problem}. Fix: ${fix === undefined ? '' : `${fix}.`}`;
}

function forward(): FluentBitOutput {
  return FluentBitOutput.forward({ host: 'fluentd-aggregator.logging', port: 24224 });
}

/** A sidecar on the seed's `web` Deployment with `props` on top of one forward output. */
interface Fixture { readonly chart: Chart; readonly web: kplus.Deployment; readonly sidecar: FluentBitSidecar }
function withProps(props: Partial<FluentBitSidecarProps>, chart: Chart = newChart()): Fixture {
  const web = webDeployment(chart);
  const sidecar = new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()], ...props });
  return { chart, web, sidecar };
}

/** The properties as a plain object (no key repeats: the reader refuses repeats). */
function obj(p: Props): { [key: string]: string | string[] } {
  return Object.fromEntries(p);
}

describe('FluentBitSidecar on a Deployment (seed 000 app-with-logging)', () => {
  // GIVEN the seed's Deployment, a forward output and a stdout output
  const chart = newChart();
  const web = webDeployment(chart);
  // WHEN
  const sidecar = new FluentBitSidecar(chart, 'logs', {
    workload: web,
    clusterName: 'production',
    outputs: [forward(), FluentBitOutput.stdout()],
  });
  const manifests = synth(chart);
  const spec = podSpec(find(manifests, 'Deployment'));
  const fb = container(spec, 'fluent-bit');
  const { config, raw } = configOf(manifests);

  test('matches the snapshot', () => {
    expect(manifests).toMatchSnapshot();
  });

  test('one fluent-bit.yaml: service, parsers and one pipeline of one input, two filters, two outputs', () => {
    expect(config.topLevel).toEqual(['service', 'parsers', 'pipeline']);
    expect([config.inputs.length, config.filters.length, config.outputs.length]).toEqual([1, 2, 2]);
    expect(sidecar.fluentBitYaml).toEqual(raw.data['fluent-bit.yaml']);
  });

  test('every key exists for its plugin in Fluent Bit 5.1.1', () => {
    expect(unknownKeys(config)).toEqual([]);
  });

  test('service: flush, drain time (grace 30), log level, HTTP server on 2020, filesystem storage on the state volume', () => {
    expect(config.service).toEqual([
      ['flush', '1'],
      ['grace', '30'],
      ['log_level', 'info'],
      ['daemon', 'off'],
      ['http_server', 'on'],
      ['http_listen', '0.0.0.0'],
      ['http_port', '2020'],
      ['health_check', 'on'],
      ['storage.path', '/var/fluent-bit/state/storage'],
      ['storage.sync', 'normal'],
      ['storage.checksum', 'off'],
      ['storage.max_chunks_up', '16'],
      ['storage.backlog.mem_limit', '5M'],
      ['storage.metrics', 'on'],
      ['storage.delete_irrecoverable_chunks', 'on'],
    ]);
  });

  test('input: tail of the log directory, DB and filesystem buffer on the state volume', () => {
    expect(config.inputs[0]).toEqual([
      ['name', 'tail'],
      ['path', '/var/log/app/*.log'],
      ['tag', 'app.*'],
      ['read_from_head', 'on'],
      ['refresh_interval', '1'],
      ['mem_buf_limit', '50M'],
      ['skip_long_lines', 'on'],
      ['db', '/var/fluent-bit/state/tail.db'],
      ['db.locking', 'on'],
      ['storage.type', 'filesystem'],
    ]);
    const stateMount = fb.volumeMounts.find((m: any) => m.mountPath === '/var/fluent-bit/state');
    expect(stateMount.readOnly).toBeFalsy();
    const stateVolume = spec.volumes.find((v: any) => v.name === stateMount.name);
    // 64Mi for the DB and chunks in flight, plus 128Mi per output.
    expect(stateVolume.emptyDir).toEqual({ sizeLimit: '320Mi' });
  });

  test('filters: JSON parsing of the log key, then cluster/namespace/pod/node from the environment', () => {
    const [parser, modify] = config.filters;
    expect(parser).toEqual([['name', 'parser'], ['match', 'app.*'], ['key_name', 'log'], ['parser', 'json'], ['reserve_data', 'on']]);
    expect(modify).toEqual([
      ['name', 'modify'], ['match', '*'],
      ['add', ['cluster ${CLUSTER_NAME}', 'namespace ${POD_NAMESPACE}', 'pod ${POD_NAME}', 'node ${NODE_NAME}']],
    ]);
    expect(fb.env).toEqual([
      { name: 'CLUSTER_NAME', value: 'production' },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
  });

  test('outputs: forward with retries, stdout as JSON lines, each with its buffer limit', () => {
    const [fwd, stdout] = config.outputs;
    expect(fwd).toEqual([
      ['name', 'forward'], ['match', '*'], ['host', 'fluentd-aggregator.logging'], ['port', '24224'], ['retry_limit', '5'],
      ['storage.total_limit_size', '128M'],
    ]);
    expect(stdout).toEqual([['name', 'stdout'], ['match', '*'], ['format', 'json_lines'], ['storage.total_limit_size', '128M']]);
    expect(sidecar.outputNames).toEqual(['forward.0', 'stdout.1']);
  });

  test('parsers: json and docker as in the seed', () => {
    expect(config.parsers).toEqual([
      [['name', 'json'], ['format', 'json'], ['time_key', 'timestamp'], ['time_format', '%Y-%m-%dT%H:%M:%S.%L%z']],
      [['name', 'docker'], ['format', 'json'], ['time_key', 'time'], ['time_format', '%Y-%m-%dT%H:%M:%S.%L']],
    ]);
  });

  test('a native sidecar, first, with the pinned image and the YAML config as args', () => {
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'app']);
    expect(fb.restartPolicy).toEqual('Always');
    expect(fb.image).toEqual('fluent/fluent-bit:5.1.1');
    expect(fb.image).toEqual(SidecarImages.FLUENT_BIT);
    expect(fb.command).toEqual(['/fluent-bit/bin/fluent-bit']);
    expect(fb.args).toEqual(['--config', '/fluent-bit/etc/fluent-bit.yaml']);
    expect(sidecar.kind).toEqual('fluent-bit');
    expect(sidecar.profile).toBe(SidecarProfile.LOG_COLLECTOR);
    expect(sidecar.startRank).toEqual(100);
  });

  test('LOG_COLLECTOR resources', () => {
    expect(fb.resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '200m', memory: '256Mi' },
    });
  });

  test('HTTP probes only (the image has no shell); no startup probe: it reads from the head, so it does not hold the app', () => {
    // THEN Fluent Bit is started first but the next container does not wait for it
    expect(fb.startupProbe).toBeUndefined();
    expect(sidecar.gatesStartup).toBe(false);
    expect(fb.readinessProbe.httpGet).toEqual({ path: '/api/v1/uptime', port: 2020, scheme: 'HTTP' });
    expect(fb.livenessProbe.httpGet).toEqual({ path: '/api/v1/uptime', port: 2020, scheme: 'HTTP' });
    for (const probe of [fb.readinessProbe, fb.livenessProbe]) {
      expect(probe.exec).toBeUndefined();
    }
  });

  test('a named metrics port 2020 for the PodMonitor', () => {
    expect(fb.ports).toEqual([{ containerPort: 2020, name: 'flb-metrics', protocol: 'TCP' }]);
    expect(sidecar.metrics).toEqual({ portName: 'flb-metrics', path: '/api/v2/metrics/prometheus' });
  });

  test('restricted security as the distroless nonroot user 65532', () => {
    expect(fb.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('the log directory is shared: read-write in the app, read-only in Fluent Bit; the config read-only', () => {
    expect(fb.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'fluent-bit-config', mountPath: '/fluent-bit/etc', readOnly: true },
      { name: 'app-logs', mountPath: '/var/log/app', readOnly: true },
    ]));
    expect(fb.volumeMounts).toHaveLength(3);
    expect(container(spec, 'app').volumeMounts).toEqual([{ name: 'app-logs', mountPath: '/var/log/app', readOnly: false }]);
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes['app-logs'].emptyDir).toEqual({ sizeLimit: '1024Mi' });
    expect(volumes['fluent-bit-config'].configMap.name).toEqual(raw.metadata.name);
    expect(Object.keys(volumes).sort()).toEqual(['app-logs', 'fluent-bit-config', 'fluent-bit-var-fluent-bit-state']);
    // Only the state volume is writable: the storage path and the DB are on it.
    expect(fb.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath)).toEqual(['/var/fluent-bit/state']);
    expect(String(prop(config.service, 'storage.path'))).toMatch(/^\/var\/fluent-bit\/state\//);
  });

  test('the grace period covers the app and the drain time (30s) + 5s', () => {
    expect(sidecar.shutdownBudget.toSeconds()).toEqual(35);
    expect(sidecar.drainTime.toSeconds()).toEqual(30);
    expect(spec.terminationGracePeriodSeconds).toEqual(65);
  });
});

describe('the independent reader', () => {
  test('refuses what Fluent Bit would not read as intended', () => {
    // GIVEN hand-written documents, past the library
    // THEN
    expect(() => readFlbYaml('pipeline:\n  outputs:\n    - name: a\n      name: b\n')).toThrow(/not a Fluent Bit YAML configuration: Map keys must be unique/);
    expect(() => readFlbYaml('pipeline:\n  routes: x\n')).toThrow('unknown pipeline key \'routes\'');
    expect(() => readFlbYaml('evil: x\n')).toThrow('unknown top-level key \'evil\'');
    expect(() => readFlbYaml('pipeline:\n  outputs:\n    - match: "*"\n')).toThrow('pipeline.outputs[0] has no name');
    expect(() => readFlbYaml('pipeline:\n  outputs:\n    - name: x\n      deep:\n        a: b\n')).toThrow('pipeline.outputs[0].deep is not a scalar');
    expect(() => readFlbYaml('multiline_parsers:\n  - name: m\n    rules:\n      - state: start_state\n        regex: /a/\n')).toThrow('has the keys regex, state');
  });

  test('finds a key Fluent Bit does not know', () => {
    // GIVEN
    const config = readFlbYaml('service:\n  flush: 1\n  Grace: 5\n  bogus: 1\npipeline:\n  outputs:\n    - name: s3\n      bucket: b\n      host: x\n    - name: kafka\n      brokers: k\n');
    // THEN (s3 has no FLB_OUTPUT_NET host; kafka is not in the table: its keys are the user's)
    expect(unknownKeys(config)).toEqual(['service: bogus', 'output s3: host']);
  });

  test('the key table cites a place at the pinned tag for every key', () => {
    for (const [section, keys] of Object.entries(KNOWN_KEYS)) {
      for (const [key, where] of Object.entries(keys)) {
        expect(`${section} ${key} ${where}`).toMatch(/ (src|plugins|include)\/[a-z0-9_/.-]+\.(c|h)(:\d+| \()/);
      }
    }
  });
});

describe('options', () => {
  test('drain time, flush, log level, tail options and the metrics port land in the config and the pod', () => {
    // GIVEN
    const { chart, sidecar } = withProps({
      drainTime: Duration.seconds(20),
      flush: Duration.seconds(2),
      logLevel: FluentBitLogLevel.WARN,
      readFromHead: false,
      refreshInterval: Duration.seconds(10),
      memBufLimit: Size.mebibytes(20),
      skipLongLines: false,
      metricsPort: 2021,
      logDir: '/data/logs',
      logFiles: 'app-*.json',
      tag: 'web.*',
      stateSizeLimit: Size.mebibytes(256),
      logSizeLimit: Size.mebibytes(512),
      logVolumeName: 'web-logs',
    });
    // WHEN
    const manifests = synth(chart);
    const spec = podSpec(find(manifests, 'Deployment'));
    const fb = container(spec, 'fluent-bit');
    const { config } = configOf(manifests);
    // THEN
    const service = obj(config.service);
    expect(service.grace).toEqual('20');
    expect(service.flush).toEqual('2');
    expect(service.log_level).toEqual('warn');
    expect(service.http_port).toEqual('2021');
    const input = obj(config.inputs[0]);
    expect(input.path).toEqual('/data/logs/app-*.json');
    expect(input.tag).toEqual('web.*');
    expect(input.read_from_head).toEqual('off');
    expect(input.refresh_interval).toEqual('10');
    expect(input.mem_buf_limit).toEqual('20M');
    expect(input.skip_long_lines).toEqual('off');
    expect(obj(config.filters[0]).match).toEqual('web.*');
    expect(sidecar.shutdownBudget.toSeconds()).toEqual(25);
    expect(spec.terminationGracePeriodSeconds).toEqual(55);
    expect(fb.ports).toEqual([{ containerPort: 2021, name: 'flb-metrics', protocol: 'TCP' }]);
    // read_from_head off: lines written before Fluent Bit runs would be lost, so it gates the app, every second
    expect(fb.startupProbe).toEqual({ httpGet: { path: '/api/v1/health', port: 2021, scheme: 'HTTP' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 30 });
    expect(container(spec, 'app').volumeMounts).toEqual([{ name: 'web-logs', mountPath: '/data/logs', readOnly: false }]);
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes['web-logs'].emptyDir).toEqual({ sizeLimit: '512Mi' });
    expect(volumes['fluent-bit-var-fluent-bit-state'].emptyDir).toEqual({ sizeLimit: '256Mi' });
    expect(sidecar.logDir).toEqual('/data/logs');
    expect(sidecar.drainTime.toSeconds()).toEqual(20);
    expect(sidecar.metricsPort).toEqual(2021);
  });

  test('a logDir given with a trailing \'/\' is the same directory', () => {
    // GIVEN
    const { chart, sidecar } = withProps({ logDir: '/data/logs/' });
    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    // THEN
    expect(sidecar.logDir).toEqual('/data/logs');
    expect(container(spec, 'app').volumeMounts).toContainEqual({ mountPath: '/data/logs', name: 'app-logs', readOnly: false });
  });

  test('readinessOnDelivery puts readiness on the health endpoint', () => {
    // GIVEN
    const { chart } = withProps({ readinessOnDelivery: true });
    // WHEN
    const fb = container(podSpec(find(synth(chart), 'Deployment')), 'fluent-bit');
    // THEN
    expect(fb.readinessProbe.httpGet.path).toEqual('/api/v1/health');
  });

  test('no parsing and no pod metadata: no filters and no environment', () => {
    // GIVEN
    const { chart } = withProps({ parseLogs: false, addPodMetadata: false });
    // WHEN
    const manifests = synth(chart);
    // THEN
    const { config } = configOf(manifests);
    expect(config.filters).toEqual([]);
    expect(config.topLevel).toEqual(['service', 'parsers', 'pipeline']);
    expect(container(podSpec(find(manifests, 'Deployment')), 'fluent-bit').env).toBeUndefined();
  });

  test('user parsers are added after json and docker, and one can parse the logs', () => {
    // GIVEN
    const { chart } = withProps({
      parser: 'nginx',
      parseKey: 'message',
      parsers: [
        { name: 'nginx', format: FluentBitParserFormat.REGEX, regex: '^(?<remote>[^ ]*) (?<host>[^ ]*) \\[(?<time>[^\\]]*)\\]$', timeKey: 'time', timeFormat: '%d/%b/%Y:%H:%M:%S %z', timeKeep: true },
        { name: 'kv', format: FluentBitParserFormat.LOGFMT },
      ],
    });
    // WHEN
    const { config } = configOf(synth(chart));
    // THEN
    expect(config.parsers.map(p => prop(p, 'name'))).toEqual(['json', 'docker', 'nginx', 'kv']);
    // The regex between slashes, which Fluent Bit strips (src/flb_regex.c, str_to_regex).
    expect(config.parsers[2]).toEqual([
      ['name', 'nginx'], ['format', 'regex'],
      ['regex', '/^(?<remote>[^ ]*) (?<host>[^ ]*) \\[(?<time>[^\\]]*)\\]$/'],
      ['time_key', 'time'], ['time_format', '%d/%b/%Y:%H:%M:%S %z'], ['time_keep', 'on'],
    ]);
    expect(config.parsers[3]).toEqual([['name', 'kv'], ['format', 'logfmt']]);
    expect(obj(config.filters[0])).toMatchObject({ parser: 'nginx', key_name: 'message' });
    expect(unknownKeys(config)).toEqual([]);
  });

  test('appContainers selects which app containers get the log directory', () => {
    // GIVEN a pod with an app and a worker
    const chart = newChart();
    const web = webDeployment(chart);
    web.addContainer({ name: 'worker', image: 'myapp:v1.0.0', portNumber: 8081 });
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()], appContainers: ['worker'] });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    // THEN
    expect(container(spec, 'worker').volumeMounts).toEqual([{ name: 'app-logs', mountPath: '/var/log/app', readOnly: false }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  test('a log volume the pod already has is reused, not duplicated', () => {
    // GIVEN a pod whose app already mounts 'app-logs'
    const chart = newChart();
    const web = webDeployment(chart);
    const logs = kplus.Volume.fromEmptyDir(chart, 'logs-volume', 'app-logs');
    web.containers[0].mount('/var/log/app', logs);
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    // THEN
    expect(spec.volumes.filter((v: any) => v.name === 'app-logs')).toHaveLength(1);
    expect(container(spec, 'app').volumeMounts).toEqual([{ name: 'app-logs', mountPath: '/var/log/app' }]);
    expect(container(spec, 'fluent-bit').volumeMounts).toContainEqual({ name: 'app-logs', mountPath: '/var/log/app', readOnly: true });
  });

  test('user, group, image, name and resources can be overridden', () => {
    // GIVEN
    const { chart, sidecar } = withProps({
      name: 'log-shipper',
      user: 1000,
      group: 2000,
      image: 'registry.example.com/fluent-bit:5.1.1',
      resources: { memory: { limit: Size.mebibytes(512) } },
    });
    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const fb = container(spec, 'log-shipper');
    // THEN
    expect(sidecar.name).toEqual('log-shipper');
    expect(fb.image).toEqual('registry.example.com/fluent-bit:5.1.1');
    expect(fb.securityContext.runAsUser).toEqual(1000);
    expect(fb.securityContext.runAsGroup).toEqual(2000);
    expect(fb.resources.limits).toEqual({ cpu: '200m', memory: '512Mi' });
    expect(fb.volumeMounts).toContainEqual({ name: 'log-shipper-config', mountPath: '/fluent-bit/etc', readOnly: true });
  });

  test('user: 1000 keeps the image\'s gid 65532 (defect #4)', () => {
    // GIVEN
    const { chart } = withProps({ user: 1000 });
    // WHEN
    const fb = container(podSpec(find(synth(chart), 'Deployment')), 'fluent-bit');
    // THEN
    expect(fb.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 65532 });
  });

  test('created in a chart of another namespace, its ConfigMap is in the workload\'s namespace (defect #5)', () => {
    // GIVEN a workload in 'production' and a chart in 'logging'
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const web = webDeployment(chart);
    const logging = new Chart(app, 'logging', { namespace: 'logging' });
    // WHEN
    const sidecar = new FluentBitSidecar(logging, 'logs', { workload: web, outputs: [forward()] });
    // THEN the ConfigMap (synthesized with the sidecar's chart) is where the pod can mount it
    const cm = find(synth(logging), 'ConfigMap');
    expect(cm.metadata).toEqual({ name: sidecar.configMap!.name, namespace: 'production' });
    const manifests = synth(chart);
    expect(podSpec(find(manifests, 'Deployment')).volumes).toContainEqual({ name: 'fluent-bit-config', configMap: { name: cm.metadata.name } });
    expect(podMetadata(find(manifests, 'Deployment')).annotations[ROLLOUT]).toEqual(sidecar.configDigest);
  });

  test('starts before other sidecars, whatever the attach order', () => {
    // GIVEN a generic sidecar attached first
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'sync', { workload: web, image: 'rclone/rclone:1.68.2' });
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] });
    // THEN
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:fluent-bit', 'init:sync', 'app']);
  });
});

describe('multiline', () => {
  // GIVEN a Java app and a custom format: lines starting with a date open a record,
  // indented lines and "Caused by:" continue it
  const { chart } = withProps({
    multiline: [
      FluentBitMultilineParser.JAVA,
      FluentBitMultilineParser.custom({
        name: 'app-trace',
        startRegex: '^\\d{4}-\\d{2}-\\d{2} ',
        continuationRules: [
          { state: 'cont', regex: '^\\s+(at |\\.\\.\\. )', nextState: 'cont' },
          { state: 'cause', regex: '^Caused by: ', nextState: 'cont' },
        ],
        flushTimeout: Duration.millis(500),
      }),
    ],
  });
  // WHEN
  const { config } = configOf(synth(chart));

  test('the tail input uses the built-in and the custom parser, in order', () => {
    expect(obj(config.inputs[0])['multiline.parser']).toEqual('java, app-trace');
  });

  test('the custom parser: type regex, the flush timeout in ms, the start rule first, then the continuation rules', () => {
    expect(config.multilineParsers).toEqual([{
      props: [['name', 'app-trace'], ['type', 'regex'], ['flush_timeout', '500']],
      rules: [
        { state: 'start_state', regex: '/^\\d{4}-\\d{2}-\\d{2} /', next_state: 'cont' },
        { state: 'cont', regex: '/^\\s+(at |\\.\\.\\. )/', next_state: 'cont' },
        { state: 'cause', regex: '/^Caused by: /', next_state: 'cont' },
      ],
    }]);
    expect(unknownKeys(config)).toEqual([]);
  });

  test('every rule\'s next state is a state some rule starts from, as Fluent Bit requires (to_state is registered)', () => {
    const rules = config.multilineParsers[0].rules;
    const states = new Set(rules.map(r => r.state));
    expect(rules[0].state).toEqual('start_state');
    for (const r of rules) expect(states.has(r.next_state)).toBe(true);
  });

  test('the start regex (with its trailing space) is what a JavaScript engine reads between the slashes', () => {
    // The rule parser strips one pair of slashes; the pattern inside is this sidecar's input, whole.
    const inside = config.multilineParsers[0].rules[0].regex.slice(1, -1);
    expect(new RegExp(inside).test('2026-11-29 12:00:00 ERROR boom')).toBe(true);
    expect(new RegExp(config.multilineParsers[0].rules[1].regex.slice(1, -1)).test('    at com.example.Main.main(Main.java:3)')).toBe(true);
  });

  test('the built-in parsers by name; without multiline, no multiline.parser key', () => {
    // GIVEN
    const all = [
      FluentBitMultilineParser.GO, FluentBitMultilineParser.PYTHON, FluentBitMultilineParser.DOCKER,
      FluentBitMultilineParser.CRI, FluentBitMultilineParser.JAVA,
    ];
    // WHEN
    const some = configOf(synth(withProps({ multiline: all }).chart)).config;
    const none = configOf(synth(withProps({}).chart)).config;
    // THEN
    expect(all.map(p => p.name)).toEqual(['go', 'python', 'docker', 'cri', 'java']);
    expect(obj(some.inputs[0])['multiline.parser']).toEqual('go, python, docker, cri, java');
    expect(some.multilineParsers).toEqual([]);
    expect(obj(none.inputs[0])['multiline.parser']).toBeUndefined();
  });
});

describe('filesystem buffering', () => {
  test('the state volume is sized from the outputs\' buffer limits (S3 twice: its own store_dir)', () => {
    // GIVEN
    const { chart } = withProps({
      outputs: [
        FluentBitOutput.forward({ host: 'fluentd', bufferLimit: Size.mebibytes(500) }),
        FluentBitOutput.s3({ bucket: 'app-logs', region: 'eu-west-1', bufferLimit: Size.mebibytes(100) }),
      ],
    });
    // WHEN
    const manifests = synth(chart);
    const { config } = configOf(manifests);
    const spec = podSpec(find(manifests, 'Deployment'));
    // THEN 64 + 500 + 2 x 100
    expect(spec.volumes.find((v: any) => v.name === 'fluent-bit-var-fluent-bit-state').emptyDir).toEqual({ sizeLimit: '764Mi' });
    expect(obj(config.outputs[0])['storage.total_limit_size']).toEqual('500M');
    expect(obj(config.outputs[1])).toMatchObject({
      'storage.total_limit_size': '100M',
      'store_dir': '/var/fluent-bit/state/s3.1',
      'store_dir_limit_size': '100M',
    });
    // Fluent Bit's M is 10^6 bytes (src/flb_utils.c, flb_utils_size_to_bytes): each limit stays below its MiB.
    expect(500 * 1000 * 1000).toBeLessThan(Size.mebibytes(500).toKibibytes() * 1024);
  });

  test('filesystemBuffering: false keeps the records in memory: no storage keys, the input pauses at mem_buf_limit', () => {
    // GIVEN
    const { chart } = withProps({ filesystemBuffering: false });
    // WHEN
    const manifests = synth(chart);
    const { config } = configOf(manifests);
    // THEN
    expect(config.service.map(([k]) => k).filter(k => k.startsWith('storage.'))).toEqual([]);
    expect(obj(config.inputs[0])['storage.type']).toBeUndefined();
    expect(obj(config.inputs[0]).mem_buf_limit).toEqual('50M');
    expect(obj(config.outputs[0])['storage.total_limit_size']).toBeUndefined();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes.find((v: any) => v.name === 'fluent-bit-var-fluent-bit-state').emptyDir).toEqual({ sizeLimit: '64Mi' });
  });

  test('the state volume is an emptyDir: it survives a restart of the Fluent Bit container, not of the pod', () => {
    // GIVEN
    const { chart } = withProps({});
    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    // THEN
    const state = spec.volumes.find((v: any) => v.name === 'fluent-bit-var-fluent-bit-state');
    expect(Object.keys(state)).toEqual(['emptyDir', 'name']);
    expect(state.emptyDir.medium).toBeUndefined();
  });
});

describe('shutdown', () => {
  test('on a Job: a native sidecar, so the Job completes; Fluent Bit drains for up to 30s after the Job\'s container exits', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1' }] });
    // WHEN
    const sidecar = new FluentBitSidecar(chart, 'logs', { workload: job, outputs: [forward()] });
    const manifests = synth(chart);
    const spec = podSpec(find(manifests, 'Job'));
    const { config } = configOf(manifests);
    // THEN
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'main']);
    expect(container(spec, 'fluent-bit').restartPolicy).toEqual('Always');
    expect(container(spec, 'fluent-bit').lifecycle).toBeUndefined();
    expect(sidecar.shutdownBudget.toSeconds()).toEqual(35);
    expect(spec.terminationGracePeriodSeconds).toEqual(65);
    // The last lines: new files are found within a second, appended lines at once (inotify),
    // and what was read is on disk until delivered or the drain time is over.
    expect(obj(config.inputs[0])).toMatchObject({ 'refresh_interval': '1', 'read_from_head': 'on', 'storage.type': 'filesystem' });
    expect(obj(config.service).grace).toEqual('30');
  });
});

describe('config changes roll the pods (defect #8)', () => {
  function annotationFor(outputs: FluentBitOutput[]): { digest?: string; annotations: any } {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN
    const sidecar = new FluentBitSidecar(chart, 'logs', { workload: web, outputs });
    const annotations = podMetadata(find(synth(chart), 'Deployment')).annotations;
    return { digest: sidecar.configDigest, annotations };
  }

  test('the pod template\'s annotation config.cdk8s-sidecars.io/<container> is the sidecar\'s configDigest', () => {
    const { digest, annotations } = annotationFor([forward()]);
    // THEN
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(annotations).toEqual({ [ROLLOUT]: digest });
  });

  test('the same config gives the same digest; another output, or another host, another', () => {
    // WHEN
    const one = annotationFor([forward()]);
    // THEN
    expect(annotationFor([forward()]).annotations[ROLLOUT]).toEqual(one.digest);
    const more = annotationFor([forward(), FluentBitOutput.stdout()]);
    expect(more.annotations[ROLLOUT]).toEqual(more.digest);
    expect(more.digest).not.toEqual(one.digest);
    const moved = annotationFor([FluentBitOutput.forward({ host: 'fluentd-aggregator.other', port: 24224 })]);
    expect(moved.annotations[ROLLOUT]).toEqual(moved.digest);
    expect(moved.digest).not.toEqual(one.digest);
  });
});

describe('workload kinds and modes', () => {
  test('LEGACY on a Job is refused by the pod', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1' }] });
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: job, outputs: [forward()], mode: SidecarMode.LEGACY });
    // THEN
    expect(() => Testing.synth(chart)).toThrow(err('LEGACY_ON_COMPLETION',
      'a LEGACY sidecar is an ordinary container that never exits, and a Job completes only when all its containers have exited, so it would never complete',
      'use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar',
      'fluent-bit', 'test/batch'));
  });

  test('LEGACY on a Deployment: first ordinary container, probes kept, no postStart hook', () => {
    // GIVEN
    const { chart } = withProps({ mode: SidecarMode.LEGACY });
    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    // THEN
    expect(containerOrder(spec)).toEqual(['fluent-bit', 'app']);
    const fb = container(spec, 'fluent-bit');
    expect(fb.restartPolicy).toBeUndefined();
    expect(fb.lifecycle).toBeUndefined();
    expect(fb.readinessProbe.httpGet.path).toEqual('/api/v1/uptime');
  });

  test('on a CronJob and a StatefulSet', () => {
    // GIVEN
    const chart = newChart();
    const cron = new kplus.CronJob(chart, 'nightly', {
      schedule: { expressionString: '0 3 * * *' } as any,
      containers: [{ name: 'main', image: 'myjob:v1' }],
    });
    const sts = new kplus.StatefulSet(chart, 'db', { containers: [{ name: 'db', image: 'mydb:v1', portNumber: 5432 }] });
    // WHEN
    new FluentBitSidecar(chart, 'cron-logs', { workload: cron, outputs: [forward()] });
    new FluentBitSidecar(chart, 'db-logs', { workload: sts, outputs: [forward()] });
    const manifests = synth(chart);
    // THEN
    expect(containerOrder(podSpec(find(manifests, 'CronJob')))).toEqual(['init:fluent-bit', 'main']);
    expect(containerOrder(podSpec(find(manifests, 'StatefulSet')))).toEqual(['init:fluent-bit', 'db']);
    expect(manifests.filter(m => m.kind === 'ConfigMap')).toHaveLength(2);
  });
});

describe('pod-wide checks', () => {
  test('a second FluentBitSidecar with the same container name', () => {
    // GIVEN
    const { chart, web } = withProps({});
    // THEN
    expect(() => new FluentBitSidecar(chart, 'more-logs', { workload: web, outputs: [forward()] })).toThrow(
      err('CONTAINER_NAME_TAKEN', 'the pod already has a container named \'fluent-bit\'', 'give this sidecar another name with the \'name\' prop'));
  });

  test('a second FluentBitSidecar under another name collides on port 2020', () => {
    // GIVEN
    const { chart, web } = withProps({});
    // WHEN
    new FluentBitSidecar(chart, 'more-logs', { workload: web, name: 'fluent-bit-2', outputs: [forward()], logDir: '/var/log/other', logVolumeName: 'other-logs' });
    // THEN
    expect(() => Testing.synth(chart)).toThrow(err('PORT_IN_USE',
      'port 2020/TCP (\'metricsPort\') is also used by container \'fluent-bit\' (containers of a pod share one network namespace)',
      'move one of them to a free port (set \'metricsPort\', or the port of \'fluent-bit\')',
      'fluent-bit-2'));
  });

  test('an app on port 2020', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 2020 }] });
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] });
    // THEN
    expect(() => Testing.synth(chart)).toThrow(err('PORT_IN_USE',
      'port 2020/TCP (\'metricsPort\') is also used by container \'app\' (containers of a pod share one network namespace)',
      'move one of them to a free port (set \'metricsPort\', or the port of \'app\')'));
  });

  test('a grace period limit below app + drain time + margin', () => {
    // GIVEN
    const { chart, web } = withProps({ drainTime: Duration.seconds(10) });
    // WHEN
    PodSidecars.of(web).limitTerminationGracePeriod(Duration.seconds(30));
    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      '[GRACE_PERIOD_TOO_SHORT] workload \'test/web\': terminationGracePeriodSeconds is limited to 30s, but the pod needs 45s (app 30s + fluent-bit 15s). Fix: raise the limit to at least 45s, lower the app\'s shutdown time, or lower the sidecars\' shutdown budgets.');
  });

  test('the app mounts something else at the log directory', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    web.containers[0].mount('/var/log/app', kplus.Volume.fromEmptyDir(chart, 'other', 'other'));
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] });
    // THEN
    expect(() => Testing.synth(chart)).toThrow(err('APP_MOUNT_PATH_TAKEN',
      'container \'app\' already mounts volume \'other\' at \'/var/log/app\', where this sidecar shares \'app-logs\'',
      'mount the app\'s volume elsewhere, or set this sidecar\'s app path to a free one'));
  });

  test('a pod volume named like the sidecar\'s state volume is refused, not reused (defect #3)', () => {
    // GIVEN a pod whose own Secret volume has the name the state volume would get
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = new kplus.Secret(chart, 'creds', { stringData: { token: 'x' } });
    web.addVolume(kplus.Volume.fromSecret(chart, 'creds-volume', secret, { name: 'fluent-bit-var-fluent-bit-state' }));
    // WHEN / THEN
    expect(() => new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] })).toThrow(err('VOLUME_NAME_TAKEN',
      'the pod already has a volume named \'fluent-bit-var-fluent-bit-state\' (in the pod\'s volumes)',
      'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)'));
  });

  test('a pod volume named like the sidecar\'s config volume is refused, not reused', () => {
    // GIVEN an app that mounts a volume named 'fluent-bit-config'
    const chart = newChart();
    const web = webDeployment(chart);
    web.containers[0].mount('/etc/app', kplus.Volume.fromEmptyDir(chart, 'app-config', 'fluent-bit-config'));
    // WHEN / THEN
    expect(() => new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()] })).toThrow(
      '[VOLUME_NAME_TAKEN] workload \'test/web\', sidecar \'fluent-bit\': the pod already has a volume named \'fluent-bit-config\' (mounted by container \'app\')');
  });
});

describe('outputs', () => {
  // GIVEN every output type, with their options
  const chart = newChart();
  const web = webDeployment(chart);
  const secret = new kplus.Secret(chart, 'creds', { stringData: { password: 'x', token: 'tok', key: 'AKIA', secret: 'sss' } });
  const fromSecret = (key: string) => kplus.EnvValue.fromSecretValue({ secret, key });
  const sidecar = new FluentBitSidecar(chart, 'logs', {
    workload: web,
    outputs: [
      FluentBitOutput.elasticsearch({
        name: 'es-main',
        host: 'es.logging.svc',
        logstashPrefix: 'myapp',
        retryLimit: 3,
        tls: true,
        auth: { user: 'fluent', password: fromSecret('password') },
      }),
      FluentBitOutput.elasticsearch({ host: '10.0.0.5', port: 9201, index: 'logs', suppressTypeName: false }),
      FluentBitOutput.loki({
        host: 'loki.monitoring',
        labels: { job: 'myapp', namespace: '$namespace' },
        tenantId: 'team-a',
        lineFormat: FluentBitLokiLineFormat.KEY_VALUE,
        tls: true,
        tlsVerify: false,
      }),
      FluentBitOutput.http({
        host: 'collector.example.com',
        uri: '/v1/logs',
        format: FluentBitHttpFormat.JSON_LINES,
        tls: true,
        headers: { 'X-Api-Version': '2', 'X-Source': 'cdk8s sidecar' },
        match: 'app.*',
      }),
      FluentBitOutput.custom({
        plugin: 'kafka',
        name: 'kafka-audit',
        properties: { 'Brokers': 'kafka-0.kafka:9092,kafka-1.kafka:9092', 'Topics': 'app-logs', 'rdkafka.compression.codec': 'zstd' },
      }),
      FluentBitOutput.forward({ host: 'fluentd', properties: { 'net.keepalive': 'on' } }),
      FluentBitOutput.stdout({ retryLimit: 2 }),
      FluentBitOutput.openTelemetry({
        name: 'otel',
        host: 'otel-collector.observability',
        headers: { 'X-Tenant': 'shop' },
        bearerToken: fromSecret('token'),
        compress: true,
      }),
      FluentBitOutput.cloudWatchLogs({
        name: 'cloudwatch',
        region: 'eu-west-1',
        logGroupName: '/eks/shop/web',
        autoCreateGroup: true,
        logRetentionDays: 30,
        endpoint: 'https://logs.eu-west-1.amazonaws.com',
        roleArn: 'arn:aws:iam::123456789012:role/shop-logs',
      }),
      FluentBitOutput.s3({
        name: 'archive',
        bucket: 'shop-logs',
        region: 'eu-central-1',
        endpoint: 'http://minio.storage:9000',
        keyFormat: '/web/$TAG/%Y/%m/%d/$UUID.gz',
        uploadTimeout: Duration.minutes(5),
        totalFileSize: Size.mebibytes(20),
        credentials: { accessKeyId: fromSecret('key'), secretAccessKey: fromSecret('secret') },
      }),
    ],
  });
  // WHEN
  const manifests = synth(chart);
  const { config, raw } = configOf(manifests);
  const outputs = config.outputs;
  const fb = container(podSpec(find(manifests, 'Deployment')), 'fluent-bit');

  test('matches the snapshot', () => {
    expect(find(manifests, 'ConfigMap').data).toMatchSnapshot();
  });

  test('every key of every typed output exists for its plugin in Fluent Bit 5.1.1', () => {
    expect(unknownKeys(config)).toEqual([]);
    expect(outputs.map(o => prop(o, 'name'))).toEqual(['es', 'es', 'loki', 'http', 'kafka', 'forward', 'stdout', 'opentelemetry', 'cloudwatch_logs', 's3']);
  });

  test('elasticsearch with logstash indices, auth from a Secret and TLS', () => {
    expect(outputs[0]).toEqual([
      ['name', 'es'], ['alias', 'es-main'], ['match', '*'],
      ['host', 'es.logging.svc'], ['port', '9200'],
      ['logstash_format', 'on'], ['logstash_prefix', 'myapp'],
      ['suppress_type_name', 'on'],
      ['http_user', 'fluent'], ['http_passwd', '${FLB_OUTPUT_0_PASSWORD}'],
      ['tls', 'on'], ['tls.verify', 'on'],
      ['retry_limit', '3'], ['storage.total_limit_size', '128M'],
    ]);
    expect(fb.env).toContainEqual({ name: 'FLB_OUTPUT_0_PASSWORD', valueFrom: { secretKeyRef: { name: secret.name, key: 'password' } } });
  });

  test('elasticsearch with a fixed index', () => {
    expect(outputs[1]).toEqual([
      ['name', 'es'], ['match', '*'], ['host', '10.0.0.5'], ['port', '9201'], ['index', 'logs'], ['suppress_type_name', 'off'], ['retry_limit', '5'],
      ['storage.total_limit_size', '128M'],
    ]);
  });

  test('loki with labels, tenant and line format', () => {
    expect(outputs[2]).toEqual([
      ['name', 'loki'], ['match', '*'], ['host', 'loki.monitoring'], ['port', '3100'],
      ['labels', 'job=myapp, namespace=$namespace'], ['tenant_id', 'team-a'], ['line_format', 'key_value'],
      ['tls', 'on'], ['tls.verify', 'off'], ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
    ]);
  });

  test('http with headers (one list), format and TLS on 443', () => {
    expect(outputs[3]).toEqual([
      ['name', 'http'], ['match', 'app.*'], ['host', 'collector.example.com'], ['port', '443'], ['uri', '/v1/logs'],
      ['format', 'json_lines'], ['header', ['X-Api-Version 2', 'X-Source cdk8s sidecar']],
      ['tls', 'on'], ['tls.verify', 'on'], ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
    ]);
  });

  test('any other plugin through custom(), and extra properties on typed outputs', () => {
    expect(outputs[4]).toEqual([
      ['name', 'kafka'], ['alias', 'kafka-audit'], ['match', '*'], ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
      ['brokers', 'kafka-0.kafka:9092,kafka-1.kafka:9092'], ['topics', 'app-logs'], ['rdkafka.compression.codec', 'zstd'],
    ]);
    expect(outputs[5]).toEqual([
      ['name', 'forward'], ['match', '*'], ['host', 'fluentd'], ['port', '24224'], ['retry_limit', '5'], ['storage.total_limit_size', '128M'], ['net.keepalive', 'on'],
    ]);
  });

  test('stdout gets a retry limit only when one is given', () => {
    expect(outputs[6]).toEqual([['name', 'stdout'], ['match', '*'], ['format', 'json_lines'], ['retry_limit', '2'], ['storage.total_limit_size', '128M']]);
  });

  test('OpenTelemetry: OTLP/HTTP on 4318 at /v1/logs, the bearer token from a Secret', () => {
    expect(outputs[7]).toEqual([
      ['name', 'opentelemetry'], ['alias', 'otel'], ['match', '*'], ['host', 'otel-collector.observability'], ['port', '4318'],
      ['logs_uri', '/v1/logs'], ['header', ['X-Tenant shop', 'Authorization Bearer ${FLB_OUTPUT_7_TOKEN}']], ['compress', 'gzip'],
      ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
    ]);
    expect(fb.env).toContainEqual({ name: 'FLB_OUTPUT_7_TOKEN', valueFrom: { secretKeyRef: { name: secret.name, key: 'token' } } });
  });

  test('CloudWatch Logs: region, group, a stream prefix per pod, endpoint override and role, no credentials in the config', () => {
    expect(outputs[8]).toEqual([
      ['name', 'cloudwatch_logs'], ['alias', 'cloudwatch'], ['match', '*'],
      ['region', 'eu-west-1'], ['log_group_name', '/eks/shop/web'], ['log_stream_prefix', '${FLB_OUTPUT_8_POD_NAME}.'],
      ['auto_create_group', 'on'], ['log_retention_days', '30'],
      ['endpoint', 'https://logs.eu-west-1.amazonaws.com'], ['role_arn', 'arn:aws:iam::123456789012:role/shop-logs'],
      ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
    ]);
    expect(fb.env).toContainEqual({ name: 'FLB_OUTPUT_8_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  test('S3: bucket, key format, upload timing, its store_dir on the state volume, MinIO endpoint, credentials as AWS_* variables from a Secret', () => {
    expect(outputs[9]).toEqual([
      ['name', 's3'], ['alias', 'archive'], ['match', '*'],
      ['bucket', 'shop-logs'], ['region', 'eu-central-1'], ['s3_key_format', '/web/$TAG/%Y/%m/%d/$UUID.gz'],
      ['upload_timeout', '300s'], ['total_file_size', '20M'], ['compression', 'gzip'],
      ['store_dir', '/var/fluent-bit/state/s3.9'], ['store_dir_limit_size', '128M'],
      ['endpoint', 'http://minio.storage:9000'],
      ['retry_limit', '5'], ['storage.total_limit_size', '128M'],
    ]);
    expect(fb.env).toEqual(expect.arrayContaining([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: secret.name, key: 'key' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: secret.name, key: 'secret' } } },
    ]));
  });

  test('no secret value is in the ConfigMap', () => {
    const text = JSON.stringify(raw);
    for (const value of ['"x"', 'tok', 'AKIA', 'sss']) expect(text).not.toContain(value);
  });

  test('output names follow Fluent Bit (alias, else plugin.index)', () => {
    expect(sidecar.outputNames).toEqual(['es-main', 'es.1', 'loki.2', 'http.3', 'kafka-audit', 'forward.5', 'stdout.6', 'otel', 'cloudwatch', 'archive']);
  });

  test('the defaults of the new outputs', () => {
    // GIVEN
    const { chart: c } = withProps({
      outputs: [
        FluentBitOutput.openTelemetry({ host: 'otel', tls: true }),
        FluentBitOutput.cloudWatchLogs({ region: 'us-east-1', logGroupName: 'app', logStreamName: 'web' }),
        FluentBitOutput.s3({ bucket: 'logs', region: 'us-east-1', compress: false }),
      ],
    });
    // WHEN
    const { config: cfg } = configOf(synth(c));
    // THEN
    expect(obj(cfg.outputs[0])).toEqual({ 'name': 'opentelemetry', 'match': '*', 'host': 'otel', 'port': '4318', 'logs_uri': '/v1/logs', 'tls': 'on', 'tls.verify': 'on', 'retry_limit': '5', 'storage.total_limit_size': '128M' });
    expect(obj(cfg.outputs[1])).toEqual({ 'name': 'cloudwatch_logs', 'match': '*', 'region': 'us-east-1', 'log_group_name': 'app', 'log_stream_name': 'web', 'auto_create_group': 'off', 'retry_limit': '5', 'storage.total_limit_size': '128M' });
    expect(obj(cfg.outputs[2])).toMatchObject({ s3_key_format: '/fluent-bit-logs/$TAG/%Y/%m/%d/%H/%M/%S', upload_timeout: '60s', total_file_size: '50M' });
    expect(obj(cfg.outputs[2]).compression).toBeUndefined();
    expect(unknownKeys(cfg)).toEqual([]);
  });
});

describe('bad input', () => {
  const OUTPUT = 'FLUENT_BIT_OUTPUT_INVALID';
  const PARSER = 'FLUENT_BIT_PARSER_INVALID';
  const VALUE = 'FLUENT_BIT_VALUE_INVALID';
  const LOG_DIR = 'FLUENT_BIT_LOG_DIR_INVALID';
  const ONE_LINE = 'pass a single line of text without control characters or surrounding spaces';
  const MULTILINE = 'FLUENT_BIT_MULTILINE_INVALID';
  const STORAGE = 'FLUENT_BIT_STORAGE_INVALID';
  const REGEX_FIX = 'pass a regular expression in Ruby (Onigmo) syntax with balanced groups and character classes';
  const ml = (o: Partial<Parameters<typeof FluentBitMultilineParser.custom>[0]>) => FluentBitMultilineParser.custom({ name: 'm', startRegex: '^\\d', continuationRules: [{ state: 'cont', regex: '^\\s', nextState: 'cont' }], ...o });
  const cases: Array<[string, () => Partial<FluentBitSidecarProps>, string, string, string | undefined]> = [
    ['no outputs', () => ({ outputs: [] }), OUTPUT,
      'no outputs are configured, so the logs would go nowhere', 'pass at least one output, such as FluentBitOutput.forward({ host, port })'],
    ['duplicate output names', () => ({ outputs: [FluentBitOutput.stdout({ name: 'out' }), FluentBitOutput.forward({ host: 'a', name: 'out' })] }), OUTPUT,
      'two outputs are named \'out\' (outputs 0 and 1)', 'give each output its own \'name\''],
    ['an output named like another\'s default', () => ({ outputs: [FluentBitOutput.stdout(), FluentBitOutput.forward({ host: 'a', name: 'stdout.0' })] }), OUTPUT,
      'two outputs are named \'stdout.0\' (outputs 0 and 1)', 'give each output its own \'name\''],
    ['an invalid output port', () => ({ outputs: [FluentBitOutput.forward({ host: 'fluentd', port: 70000 })] }), OUTPUT,
      'output 0 (forward): \'port\' 70000 is not a valid port number', undefined],
    ['a host with a newline', () => ({ outputs: [FluentBitOutput.forward({ host: 'fluentd\n[OUTPUT]' })] }), OUTPUT,
      'output 0 (forward): \'host\' \'fluentd\\n[OUTPUT]\' is not a valid host name or IP address', 'pass a DNS name (such as \'fluentd-aggregator.logging\') or an IP address'],
    ['a host with a space', () => ({ outputs: [FluentBitOutput.elasticsearch({ host: 'es Retry_Limit' })] }), OUTPUT,
      'output 0 (es): \'host\' \'es Retry_Limit\' is not a valid host name or IP address', 'pass a DNS name (such as \'fluentd-aggregator.logging\') or an IP address'],
    ['an invalid output name', () => ({ outputs: [FluentBitOutput.stdout({ name: 'a b' })] }), OUTPUT,
      'output 0 (stdout): \'name\' \'a b\' is not valid', 'use letters, digits, \'_\', \'.\' and \'-\''],
    ['an invalid match', () => ({ outputs: [FluentBitOutput.stdout({ match: '[SERVICE]' })] }), OUTPUT,
      'output 0 (stdout): \'match\' \'[SERVICE]\' is not valid', 'use a tag pattern of letters, digits, \'_\', \'.\', \'-\' and \'*\''],
    ['a retry limit of 0', () => ({ outputs: [FluentBitOutput.forward({ host: 'fluentd', retryLimit: 0 })] }), OUTPUT,
      'output 0 (forward): \'retryLimit\' 0 is not a whole number 1 or more', undefined],
    ['a fractional retry limit on stdout', () => ({ outputs: [FluentBitOutput.stdout({ retryLimit: 1.5 })] }), OUTPUT,
      'output 0 (stdout): \'retryLimit\' 1.5 is not a whole number 1 or more', undefined],
    ['tlsVerify without tls', () => ({ outputs: [FluentBitOutput.forward({ host: 'fluentd', tlsVerify: false })] }), OUTPUT,
      'output 0 (forward): \'tlsVerify\' is set but \'tls\' is off', 'set \'tls: true\', or leave \'tlsVerify\' unset'],
    ['an invalid Elasticsearch index', () => ({ outputs: [FluentBitOutput.elasticsearch({ host: 'es', index: 'Logs/2024' })] }), OUTPUT,
      'output 0 (es): \'index\' \'Logs/2024\' is not valid', 'use lower-case letters, digits, \'_\', \'.\', \'+\' and \'-\''],
    ['an invalid logstash prefix', () => ({ outputs: [FluentBitOutput.elasticsearch({ host: 'es', logstashPrefix: 'a b' })] }), OUTPUT,
      'output 0 (es): \'logstashPrefix\' \'a b\' is not valid', 'use lower-case letters, digits, \'_\', \'.\', \'+\' and \'-\''],
    ['a user name with a newline', () => ({ outputs: [FluentBitOutput.elasticsearch({ host: 'es', auth: { user: 'u\n  tls: off', password: kplus.EnvValue.fromValue('p') } })] }), OUTPUT,
      'output 0 (es): \'auth.user\': \'u\\n  tls: off\' contains a line break or another control character', ONE_LINE],
    ['no Loki labels', () => ({ outputs: [FluentBitOutput.loki({ host: 'loki', labels: {} })] }), OUTPUT,
      'output 0 (loki): the Loki output has no labels', 'pass at least one label (Loki needs a stream label)'],
    ['an invalid Loki label name', () => ({ outputs: [FluentBitOutput.loki({ host: 'loki', labels: { 'a-b': 'x' } })] }), OUTPUT,
      'output 0 (loki): Loki label name \'a-b\' is not valid', 'use letters, digits and \'_\', not starting with a digit'],
    ['a Loki label value with a comma', () => ({ outputs: [FluentBitOutput.loki({ host: 'loki', labels: { job: 'x, evil=1' } })] }), OUTPUT,
      'output 0 (loki): Loki label \'job\' has the value \'x, evil=1\', which is neither a plain value nor a record key', 'use letters, digits, \'_\', \'.\', \':\', \'/\', \'-\', or \'$key\' for a record key'],
    ['an invalid Loki tenant', () => ({ outputs: [FluentBitOutput.loki({ host: 'loki', tenantId: 'a b' })] }), OUTPUT,
      'output 0 (loki): \'tenantId\' \'a b\' is not valid', 'use letters, digits and \'_\', \'.\', \'-\''],
    ['an invalid Loki line format', () => ({ outputs: [FluentBitOutput.loki({ host: 'loki', lineFormat: 'logfmt' as FluentBitLokiLineFormat })] }), OUTPUT,
      'output 0 (loki): \'lineFormat\' \'logfmt\' is not one of the FluentBitLokiLineFormat values', undefined],
    ['an invalid HTTP header name', () => ({ outputs: [FluentBitOutput.http({ host: 'h', headers: { 'X Bad': 'v' } })] }), OUTPUT,
      'output 0 (http): HTTP header name \'X Bad\' is not valid', 'use an HTTP token (letters, digits, \'-\')'],
    ['an HTTP header value with a newline', () => ({ outputs: [FluentBitOutput.http({ host: 'h', headers: { 'X-Ok': 'v\r\n[INPUT]' } })] }), OUTPUT,
      'output 0 (http): header \'X-Ok\': \'X-Ok v\\r\\n[INPUT]\' contains a line break or another control character', ONE_LINE],
    ['an invalid HTTP URI', () => ({ outputs: [FluentBitOutput.http({ host: 'h', uri: 'logs' })] }), OUTPUT,
      'output 0 (http): \'uri\' \'logs\' is not valid', 'pass an absolute path such as \'/logs\''],
    ['an invalid HTTP format', () => ({ outputs: [FluentBitOutput.http({ host: 'h', format: 'yaml' as FluentBitHttpFormat })] }), OUTPUT,
      'output 0 (http): \'format\' \'yaml\' is not one of the FluentBitHttpFormat values',
      undefined],
    ['an invalid custom plugin', () => ({ outputs: [FluentBitOutput.custom({ plugin: 'kafka\n[INPUT]' })] }), OUTPUT,
      'output 0 (kafka\\n[INPUT]): \'kafka\\n[INPUT]\' is not an output plugin name', 'pass the plugin\'s name, lower-case letters, digits and \'_\' (for example \'kafka\')'],
    ['a property key that is not an identifier', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { 'x: y\npipeline': '/etc/passwd' } })] }), OUTPUT,
      'output 0 (s3): property key \'x: y\\npipeline\' is not a plain identifier (letters, digits, \'_\', \'.\', \'-\', starting with a letter)', 'use the plugin\'s property name as documented by Fluent Bit'],
    ['a property setting the buffer limit', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { 'Storage.Total_Limit_Size': '1G' } })] }), OUTPUT,
      'output 0 (s3): property \'Storage.Total_Limit_Size\' is set by the sidecar', 'use the \'name\' and \'match\' options instead'],
    ['a property value with a YAML line break (U+2028)', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: 'b\u2028pipeline:' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': \'b\\u2028pipeline:\' contains a line break or another control character', ONE_LINE],
    ['a property value with a lone surrogate', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: 'b\ud800' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': \'b\ud800\' is not valid Unicode text', ONE_LINE],
    ['a property value with surrounding spaces', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: ' b' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': \' b\' starts or ends with whitespace, which Fluent Bit strips', ONE_LINE],
    ['an empty property value', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: '' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': the value is empty', ONE_LINE],
    ['a reserved property', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { match: 'secret.*' } })] }), OUTPUT,
      'output 0 (s3): property \'match\' is set by the sidecar', 'use the \'name\' and \'match\' options instead'],
    ['a property the typed options set', () => ({ outputs: [FluentBitOutput.forward({ host: 'a', properties: { HOST: 'b' } })] }), OUTPUT,
      'output 0 (forward): property \'HOST\' is already set by the output\'s options', 'remove \'HOST\' from \'properties\' and use the typed option'],
    ['a problem of the second output names it', () => ({ outputs: [forward(), FluentBitOutput.loki({ host: 'loki', port: 0 })] }), OUTPUT,
      'output 1 (loki): \'port\' 0 is not a valid port number', undefined],
    ['an invalid metricsPort', () => ({ metricsPort: 0 }), 'PORT_INVALID',
      '\'metricsPort\' 0 is not a valid port number', undefined],
    ['a zero flush', () => ({ flush: Duration.seconds(0) }), 'DURATION_INVALID',
      '\'flush\' is not a whole number of seconds of at least 1', undefined],
    ['a fractional drain time', () => ({ drainTime: Duration.millis(1500) }), 'DURATION_INVALID',
      '\'drainTime\' is not a whole number of seconds of at least 1', undefined],
    ['a zero refresh interval', () => ({ refreshInterval: Duration.seconds(0) }), 'DURATION_INVALID',
      '\'refreshInterval\' is not a whole number of seconds of at least 1', undefined],
    ['a buffer limit below 1 MiB', () => ({ memBufLimit: Size.kibibytes(512) }), 'SIZE_INVALID',
      '\'memBufLimit\' is not a positive whole number of MiB', undefined],
    ['a log volume without room', () => ({ logSizeLimit: Size.mebibytes(0) }), 'SIZE_INVALID',
      '\'logSizeLimit\' is not a positive whole number of MiB', undefined],
    ['a state volume below 1 MiB', () => ({ stateSizeLimit: Size.kibibytes(100) }), 'SIZE_INVALID',
      '\'stateSizeLimit\' is not a positive whole number of MiB', undefined],
    ['an invalid log level', () => ({ logLevel: 'loud' as FluentBitLogLevel }), 'ENUM_INVALID',
      '\'logLevel\' \'loud\' is not one of the FluentBitLogLevel values',
      undefined],
    ['a log volume name that is no DNS label', () => ({ logVolumeName: 'App_Logs' }), 'NAME_INVALID',
      '\'logVolumeName\' \'App_Logs\' is not a DNS label', undefined],
    ['a relative logDir', () => ({ logDir: 'logs' }), 'PATH_INVALID',
      '\'logDir\' \'logs\' is not a canonical absolute path', undefined],
    ['a logDir with a newline', () => ({ logDir: '/var/log\n[INPUT]' }), 'PATH_INVALID',
      '\'logDir\' \'/var/log\\n[INPUT]\' is not a canonical absolute path', undefined],
    ['a logDir with ..', () => ({ logDir: '/var/log/../../etc' }), 'PATH_INVALID',
      '\'logDir\' \'/var/log/../../etc\' is not a canonical absolute path', undefined],
    ['a logDir with a comma (a second tail path)', () => ({ logDir: '/var/log,/etc' }), LOG_DIR,
      '\'logDir\' \'/var/log,/etc\' is not valid', 'pass a directory path of letters, digits, \'_\', \'.\', \'-\' and \'/\', such as \'/var/log/app\''],
    ['a logDir over the config', () => ({ logDir: '/fluent-bit' }), LOG_DIR,
      '\'logDir\' \'/fluent-bit\' overlaps the sidecar\'s own \'/fluent-bit\' or \'/var/fluent-bit/state\'', 'put the logs in a directory of their own, such as \'/var/log/app\''],
    ['a logDir over the binary', () => ({ logDir: '/fluent-bit/bin' }), LOG_DIR,
      '\'logDir\' \'/fluent-bit/bin\' overlaps the sidecar\'s own \'/fluent-bit\' or \'/var/fluent-bit/state\'', 'put the logs in a directory of their own, such as \'/var/log/app\''],
    ['a logDir over the state volume', () => ({ logDir: '/var' }), LOG_DIR,
      '\'logDir\' \'/var\' overlaps the sidecar\'s own \'/fluent-bit\' or \'/var/fluent-bit/state\'', 'put the logs in a directory of their own, such as \'/var/log/app\''],
    ['the root as logDir', () => ({ logDir: '/' }), 'PATH_INVALID',
      '\'logDir\' \'/\' is not a canonical absolute path', undefined],
    ['a logDir with two slashes', () => ({ logDir: '/var//log/app' }), 'PATH_INVALID',
      '\'logDir\' \'/var//log/app\' is not a canonical absolute path', undefined],
    ['a logFiles pattern with a comma (a second path)', () => ({ logFiles: '*.log,/etc/*' }), VALUE,
      '\'logFiles\' \'*.log,/etc/*\' is not valid', 'pass a pattern of letters, digits, \'_\', \'.\', \'-\', \'*\' and \'?\' (no \'/\' or \',\'), such as \'*.log\''],
    ['a tag with a section', () => ({ tag: 'app\n[OUTPUT]' }), VALUE,
      '\'tag\' \'app\\n[OUTPUT]\' is not valid', 'use letters, digits, \'_\', \'.\', \'-\' and \'*\', such as \'app.*\''],
    ['an invalid parseKey', () => ({ parseKey: 'log message' }), VALUE,
      '\'parseKey\' \'log message\' is not a plain field name', 'use letters, digits, \'_\', \'.\' and \'-\', starting with a letter'],
    ['an invalid clusterName', () => ({ clusterName: 'prod ${SECRET}' }), VALUE,
      '\'clusterName\' \'prod ${SECRET}\' is not valid', 'use letters, digits, \'_\', \'.\' and \'-\''],
    ['an unknown parser', () => ({ parser: 'nginx' }), PARSER,
      '\'parser\' \'nginx\' is not defined', 'use one of \'json\', \'docker\', or add it to \'parsers\''],
    ['an invalid parser name', () => ({ parsers: [{ name: 'a b', format: FluentBitParserFormat.JSON }] }), PARSER,
      'parser name \'a b\' is not valid', 'use letters, digits, \'_\', \'.\' and \'-\''],
    ['a parser named like a built-in one', () => ({ parsers: [{ name: 'json', format: FluentBitParserFormat.JSON }] }), PARSER,
      'parser \'json\' is defined twice (json and docker are built in)', 'give each parser its own name'],
    ['an invalid parser format', () => ({ parsers: [{ name: 'p', format: 'xml' as FluentBitParserFormat }] }), PARSER,
      'parser \'p\': \'format\' \'xml\' is not one of the FluentBitParserFormat values',
      undefined],
    ['a REGEX parser without regex', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.REGEX }] }), PARSER,
      'parser \'p\': \'regex\' is missing for the REGEX format', 'pass the regular expression as \'regex\''],
    ['a regex on a JSON parser', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.JSON, regex: '^(?<a>.*)$' }] }), PARSER,
      'parser \'p\': \'regex\' is only for the REGEX format', 'remove \'regex\', or use FluentBitParserFormat.REGEX'],
    ['a regex with a newline', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.REGEX, regex: '^(?<a>.*)\nparsers:' }] }), PARSER,
      'parser \'p\': \'regex\': \'/^(?<a>.*)\\nparsers:/\' contains a line break or another control character', ONE_LINE],
    ['a parser regex with an unclosed group', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.REGEX, regex: '^(?<a>.*' }] }), PARSER,
      'parser \'p\': \'regex\' \'^(?<a>.*\' has an unclosed \'(\'', REGEX_FIX],
    ['an empty time key', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.JSON, timeKey: '' }] }), PARSER,
      'parser \'p\': \'timeKey\': the value is empty', ONE_LINE],
    ['a time format with surrounding spaces', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.JSON, timeFormat: ' %Y' }] }), PARSER,
      'parser \'p\': \'timeFormat\': \' %Y\' starts or ends with whitespace, which Fluent Bit strips', ONE_LINE],
    ['a multiline parser that is not one', () => ({ multiline: ['java' as unknown as FluentBitMultilineParser] }), MULTILINE,
      'multiline parser 0 is not a FluentBitMultilineParser', 'use FluentBitMultilineParser.JAVA (GO, PYTHON, DOCKER, CRI) or FluentBitMultilineParser.custom({...})'],
    ['a built-in multiline parser twice', () => ({ multiline: [FluentBitMultilineParser.JAVA, FluentBitMultilineParser.JAVA] }), MULTILINE,
      'multiline parser \'java\' is listed twice', 'list each parser once'],
    ['a custom multiline parser named like a built-in one', () => ({ multiline: [ml({ name: 'go' })] }), MULTILINE,
      'multiline parser \'go\' is defined twice (go, python, java, docker, cri, ruby are built in)', 'give each parser its own name'],
    ['an invalid multiline parser name', () => ({ multiline: [ml({ name: 'a b' })] }), MULTILINE,
      'multiline parser name \'a b\' is not valid', 'use letters, digits, \'_\', \'.\' and \'-\''],
    ['a multiline parser without continuation rules', () => ({ multiline: [ml({ continuationRules: [] })] }), MULTILINE,
      'multiline parser \'m\': there are no continuation rules', 'pass at least one rule { state, regex, nextState } in \'continuationRules\''],
    ['a multiline state with a comma (two states for Fluent Bit)', () => ({ multiline: [ml({ continuationRules: [{ state: 'cont,start_state', regex: 'x', nextState: 'cont' }] })] }), MULTILINE,
      'multiline parser \'m\': rule 0: \'state\' \'cont,start_state\' is not a state name', 'use letters, digits and \'_\', starting with a letter or \'_\''],
    ['a continuation rule in the start state', () => ({ multiline: [ml({ continuationRules: [{ state: 'start_state', regex: 'x', nextState: 'start_state' }] })] }), MULTILINE,
      'multiline parser \'m\': rule 0: \'state\' is \'start_state\', which is the start rule\'s', 'give continuation rules states of their own, such as \'cont\' (the start rule is \'startRegex\')'],
    ['a next state no rule starts from', () => ({ multiline: [ml({ continuationRules: [{ state: 'cont', regex: 'x', nextState: 'trace' }] })] }), MULTILINE,
      'multiline parser \'m\': rule 0: \'nextState\' \'trace\' is no rule\'s state, so Fluent Bit refuses the parser ("to_state is not registered")', 'use one of \'start_state\', \'cont\''],
    ['a start regex with an unclosed class', () => ({ multiline: [ml({ startRegex: '^[0-9' })] }), MULTILINE,
      'multiline parser \'m\': \'startRegex\' \'^[0-9\' has an unclosed \'[\'', REGEX_FIX],
    ['a continuation regex closing a group never opened', () => ({ multiline: [ml({ continuationRules: [{ state: 'cont', regex: 'a)', nextState: 'cont' }] })] }), MULTILINE,
      'multiline parser \'m\': rule 0: \'regex\' \'a)\' closes a group that was never opened', REGEX_FIX],
    ['a regex ending with a lone backslash', () => ({ multiline: [ml({ startRegex: 'a\\' })] }), MULTILINE,
      'multiline parser \'m\': \'startRegex\' \'a\\\\\' ends with a lone \'\\\'', REGEX_FIX],
    ['an empty start regex', () => ({ multiline: [ml({ startRegex: '' })] }), MULTILINE,
      'multiline parser \'m\': \'startRegex\' is empty', REGEX_FIX],
    ['a start regex with a newline', () => ({ multiline: [ml({ startRegex: 'a\n  - state: x' })] }), MULTILINE,
      'multiline parser \'m\': \'startRegex\': \'/a\\n  - state: x/\' contains a line break or another control character', ONE_LINE],
    ['a flush timeout below 1 ms', () => ({ multiline: [ml({ flushTimeout: Duration.millis(0) })] }), MULTILINE,
      'multiline parser \'m\': \'flushTimeout\' 0ms is not a whole number of milliseconds of at least 1', 'pass a duration such as Duration.seconds(1)'],
    ['a flush timeout in fractions of a millisecond', () => ({ multiline: [ml({ flushTimeout: Duration.seconds(1.0005) })] }), MULTILINE,
      'multiline parser \'m\': \'flushTimeout\' 1000.5ms is not a whole number of milliseconds of at least 1', 'pass a duration such as Duration.seconds(1)'],
    ['a state volume smaller than the buffers', () => ({ stateSizeLimit: Size.mebibytes(100) }), STORAGE,
      '\'stateSizeLimit\' 100Mi is below the 192Mi the state volume needs (64Mi for the tail database and chunks in flight, plus each output\'s \'bufferLimit\' on disk): when the volume is full the kubelet evicts the pod',
      'raise \'stateSizeLimit\' to at least 192Mi, or lower the outputs\' \'bufferLimit\''],
    ['a state volume smaller than an S3 output needs', () => ({ stateSizeLimit: Size.mebibytes(300), outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1' })] }), STORAGE,
      '\'stateSizeLimit\' 300Mi is below the 320Mi the state volume needs (64Mi for the tail database and chunks in flight, plus each output\'s \'bufferLimit\' on disk, twice for S3 outputs): when the volume is full the kubelet evicts the pod',
      'raise \'stateSizeLimit\' to at least 320Mi, or lower the outputs\' \'bufferLimit\''],
    ['a buffer limit below 1 MiB', () => ({ outputs: [FluentBitOutput.forward({ host: 'fluentd', bufferLimit: Size.kibibytes(100) })] }), OUTPUT,
      'output 0 (forward): \'bufferLimit\' is not a positive whole number of MiB', undefined],
    ['an OpenTelemetry logs path that is not absolute', () => ({ outputs: [FluentBitOutput.openTelemetry({ host: 'otel', logsUri: 'v1/logs' })] }), OUTPUT,
      'output 0 (opentelemetry): \'logsUri\' \'v1/logs\' is not valid', 'pass an absolute path such as \'/v1/logs\''],
    ['a bearer token and an Authorization header', () => ({ outputs: [FluentBitOutput.openTelemetry({ host: 'otel', headers: { authorization: 'Basic x' }, bearerToken: kplus.EnvValue.fromValue('t') })] }), OUTPUT,
      'output 0 (opentelemetry): \'bearerToken\' and an Authorization header are both set', 'keep one of them'],
    ['an OpenTelemetry header with a CRLF', () => ({ outputs: [FluentBitOutput.openTelemetry({ host: 'otel', headers: { 'X-A': 'v\r\nX-Evil: 1' } })] }), OUTPUT,
      'output 0 (opentelemetry): header \'X-A\': \'X-A v\\r\\nX-Evil: 1\' contains a line break or another control character', ONE_LINE],
    ['an invalid AWS region', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu west', logGroupName: 'g' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'region\' \'eu west\' is not valid', 'pass an AWS region such as \'eu-west-1\''],
    ['an invalid log group', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g: x' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'logGroupName\' \'g: x\' is not valid', 'use letters, digits, \'_\', \'-\', \'/\', \'.\' and \'#\''],
    ['a log stream name and prefix', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', logStreamName: 'a', logStreamPrefix: 'b' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'logStreamName\' and \'logStreamPrefix\' are both set', 'keep one of them'],
    ['an invalid log stream prefix', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', logStreamPrefix: 'a*' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'logStreamPrefix\' \'a*\' is not valid', 'use letters, digits, \'_\', \'-\', \'/\', \'.\' and \'#\''],
    ['a retention without auto-created group', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', logRetentionDays: 30 })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'logRetentionDays\' is set but \'autoCreateGroup\' is off', 'set \'autoCreateGroup: true\', or set the retention on the log group itself'],
    ['a retention CloudWatch does not offer', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', autoCreateGroup: true, logRetentionDays: 10 })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'logRetentionDays\' 10 is not one of CloudWatch\'s retention values', 'use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653'],
    ['an endpoint with a path', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', endpoint: 'https://logs.local/x' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'endpoint\' \'https://logs.local/x\' is not valid', 'pass a URL such as \'https://logs.eu-west-1.amazonaws.com\' or \'http://localstack.test:4566\''],
    ['an STS endpoint that is no URL', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', stsEndpoint: 'sts' })] }), OUTPUT,
      'output 0 (s3): \'stsEndpoint\' \'sts\' is not valid', 'pass a URL such as \'https://logs.eu-west-1.amazonaws.com\' or \'http://localstack.test:4566\''],
    ['an invalid role ARN', () => ({ outputs: [FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', roleArn: 'logs-role' })] }), OUTPUT,
      'output 0 (cloudwatch_logs): \'roleArn\' \'logs-role\' is not valid', 'pass an IAM role ARN such as \'arn:aws:iam::123456789012:role/logs\''],
    ['an invalid bucket', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'Logs_Bucket', region: 'eu-west-1' })] }), OUTPUT,
      'output 0 (s3): \'bucket\' \'Logs_Bucket\' is not valid', 'pass an S3 bucket name (lower-case letters, digits, \'.\' and \'-\')'],
    ['an invalid key format', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', keyFormat: 'logs/$TAG' })] }), OUTPUT,
      'output 0 (s3): \'keyFormat\' \'logs/$TAG\' is not valid', 'pass an absolute key such as \'/logs/$TAG/%Y/%m/%d/$UUID.gz\' (letters, digits, \'_\', \'.\', \'/\', \'%\', \'$\', \'[\', \']\', \'-\')'],
    ['a fractional upload timeout', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', uploadTimeout: Duration.millis(1500) })] }), OUTPUT,
      'output 0 (s3): \'uploadTimeout\' is not a whole number of seconds of at least 1', undefined],
    ['an object size of 0', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', totalFileSize: Size.mebibytes(0) })] }), OUTPUT,
      'output 0 (s3): \'totalFileSize\' is not a positive whole number of MiB', undefined],
    ['an object size above Fluent Bit\'s bound', () => ({ outputs: [FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', totalFileSize: Size.gibibytes(60) })] }), OUTPUT,
      'output 0 (s3): \'totalFileSize\' 61440Mi is above the 50000Mi Fluent Bit accepts', 'pass at most Size.mebibytes(50000)'],
    ['AWS credentials on two outputs', () => ({
      outputs: [
        FluentBitOutput.s3({ bucket: 'logs', region: 'eu-west-1', credentials: { accessKeyId: kplus.EnvValue.fromValue('a'), secretAccessKey: kplus.EnvValue.fromValue('b') } }),
        FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: 'g', credentials: { accessKeyId: kplus.EnvValue.fromValue('c'), secretAccessKey: kplus.EnvValue.fromValue('d') } }),
      ],
    }), OUTPUT,
    'outputs 0 and 1 both set the environment variable AWS_ACCESS_KEY_ID (AWS credentials)', 'give static AWS credentials to one output only (the container has one set), or use the pod\'s identity'],
  ];

  test.each(cases)('%s', (_name, props, code, problem, fix) => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN / THEN
    expect(() => new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()], ...props() })).toThrow(err(code, problem, fix));
    // and nothing was added to the pod
    expect(web.initContainers).toHaveLength(0);
  });
});

describe('config injection: no user string adds a section, a key or a pipeline', () => {
  /**
   * Builds the sidecar with `value` in one place; either it is refused with the
   * sidecar's error, or the YAML read back has exactly the expected shape and the
   * value came back whole where it was put.
   */
  function injects(make: (value: string) => Partial<FluentBitSidecarProps>, check: (config: FlbConfig, value: string) => void, code = 'FLUENT_BIT_OUTPUT_INVALID'): void {
    fc.assert(fc.property(fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('x\npipeline:\n  outputs:\n    - name: stdout', '"\n  evil: 1', '\' : {', '- name: x', '#', '*a', '&a b', '!!map', '${SECRET}', 'a: b', '{x: 1}', '[a, b]', '\u0085evil: 1', '  x', '|\n  x', '? x'),
    ), value => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      let sidecar: FluentBitSidecar;
      try {
        // WHEN
        sidecar = new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [forward()], ...make(value) });
      } catch (e) {
        // THEN refused with a sidecar error
        expect((e as Error).message).toMatch(new RegExp(`^\\[${code}\\] workload 'test/web', sidecar 'fluent-bit': .*\\. Fix: `, 's'));
        return;
      }
      // THEN
      const config = readFlbYaml(sidecar.fluentBitYaml);
      expect(config.inputs).toHaveLength(1);
      expect(unknownKeys(config)).toEqual([]);
      check(config, value);
    }), { numRuns: 200 });
  }

  test('a custom property value', () => {
    injects(value => ({ outputs: [FluentBitOutput.custom({ plugin: 'kafka', properties: { topics: value } })] }), (config, value) => {
      expect(config.topLevel).toEqual(['service', 'parsers', 'pipeline']);
      expect(config.outputs).toEqual([[['name', 'kafka'], ['match', '*'], ['retry_limit', '5'], ['storage.total_limit_size', '128M'], ['topics', value]]]);
    });
  });

  test('an HTTP or OpenTelemetry header value', () => {
    injects(value => ({ outputs: [FluentBitOutput.openTelemetry({ host: 'otel', headers: { 'X-A': value } })] }), (config, value) => {
      expect(config.outputs).toHaveLength(1);
      expect(prop(config.outputs[0], 'header')).toEqual([`X-A ${value}`]);
      expect(config.outputs[0].map(([k]) => k)).toEqual(['name', 'match', 'host', 'port', 'logs_uri', 'header', 'retry_limit', 'storage.total_limit_size']);
    });
  });

  test('a multiline regex', () => {
    injects(value => ({
      multiline: [FluentBitMultilineParser.custom({ name: 'm', startRegex: value, continuationRules: [{ state: 'cont', regex: value, nextState: 'cont' }] })],
    }), (config, value) => {
      expect(config.topLevel).toEqual(['service', 'parsers', 'multiline_parsers', 'pipeline']);
      expect(config.multilineParsers).toHaveLength(1);
      expect(config.multilineParsers[0].rules).toEqual([
        { state: 'start_state', regex: `/${value}/`, next_state: 'cont' },
        { state: 'cont', regex: `/${value}/`, next_state: 'cont' },
      ]);
    }, 'FLUENT_BIT_MULTILINE_INVALID');
  });

  test('a parser regex and time format', () => {
    injects(value => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.REGEX, regex: value, timeFormat: value }] }), (config, value) => {
      expect(config.parsers).toHaveLength(3);
      expect(config.parsers[2]).toEqual([['name', 'p'], ['format', 'regex'], ['regex', `/${value}/`], ['time_format', value]]);
    }, 'FLUENT_BIT_PARSER_INVALID');
  });

  test('CloudWatch, S3 and OpenTelemetry values (group, stream, bucket, key, endpoint, path, auth user)', () => {
    injects(value => ({
      outputs: [
        FluentBitOutput.cloudWatchLogs({ region: 'eu-west-1', logGroupName: value, logStreamPrefix: value, endpoint: `https://${value}` }),
        FluentBitOutput.s3({ bucket: value, region: 'eu-west-1', keyFormat: `/${value}` }),
        FluentBitOutput.openTelemetry({ host: 'otel', logsUri: `/${value}`, auth: { user: value, password: kplus.EnvValue.fromValue('p') } }),
      ],
    }), (config, value) => {
      expect(config.outputs).toHaveLength(3);
      expect(obj(config.outputs[0])).toMatchObject({ log_group_name: value, log_stream_prefix: value, endpoint: `https://${value}` });
      expect(obj(config.outputs[1])).toMatchObject({ bucket: value, s3_key_format: `/${value}` });
      expect(obj(config.outputs[2])).toMatchObject({ logs_uri: `/${value}`, http_user: value });
    });
  });

  test('a value the renderer refuses fails the sidecar with its path', () => {
    // GIVEN a renderer that finds a bad value the per-field checks let through
    const spy = jest.spyOn(yamlModule, 'renderYaml').mockImplementationOnce(() => {
      throw new YamlError(['pipeline', 'outputs', 'host'], '\'x\\ny\' contains a line break or another control character');
    });
    const chart = newChart();
    const web = webDeployment(chart);
    try {
      // WHEN / THEN (a host no other test uses: each distinct config is rendered once per process)
      expect(() => new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [FluentBitOutput.forward({ host: 'renderer-refuses.logging' })] })).toThrow(err(
        'FLUENT_BIT_CONFIG_INVALID', 'the generated configuration has an invalid value (pipeline.outputs.host: \'x\\ny\' contains a line break or another control character)',
        'correct the value that ends up at that key'));
    } finally {
      spy.mockRestore();
    }
  });

  test('the renderer refuses what the per-field checks would miss, and quotes what YAML would read otherwise', () => {
    // GIVEN documents built by hand, past the sidecar's validation
    // THEN
    expect(() => renderYaml({ map: [['pipeline', { map: [['outputs', { list: [{ map: [['name', 'x\npipeline:']] }] }]] }]] })).toThrow(
      'pipeline.outputs.name: \'x\\npipeline:\' contains a line break or another control character');
    expect(() => renderYaml({ map: [['a: b', 'x']] })).toThrow('(top level): key \'a: b\' is not a plain identifier');
    expect(() => renderYaml({ map: [['name', 'x'], ['Name', 'y']] })).toThrow('Name: key \'Name\' is repeated');
    expect(() => renderYaml({ map: [['a', { list: [] }]] })).toThrow('a: an empty sequence');
    const text = renderYaml({ map: [['service', { map: [['flush', '1'], ['v', 'a: "b" #c'], ['w', '*x'], ['u', 'é\u{1F600}']] }]] });
    expect(text).toEqual('service:\n  flush: 1\n  v: "a: \\"b\\" #c"\n  w: "*x"\n  u: "\\u00e9\\U0001f600"\n');
    expect(readFlbYaml(text).service).toEqual([['flush', '1'], ['v', 'a: "b" #c'], ['w', '*x'], ['u', 'é\u{1F600}']]);
  });
});

describe('examples/fluent-bit.ts (seed 000 app-with-logging)', () => {
  // GIVEN the example chart
  const chart = new FluentBitChart(Testing.app(), 'fluent-bit', { namespace: 'production' });
  // WHEN
  const manifests = synth(chart);
  const spec = podSpec(find(manifests, 'Deployment'));
  const { config } = configOf(manifests);

  test('the pod of the seed: fluent-bit native sidecar, then the app; 3 replicas', () => {
    expect(find(manifests, 'Deployment').spec.replicas).toEqual(3);
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'app']);
    expect(container(spec, 'app').env).toEqual([
      { name: 'LOG_FILE', value: '/var/log/app/app.log' },
      { name: 'LOG_FORMAT', value: 'json' },
    ]);
  });

  test('the seed\'s fluent-bit.conf, key by key in YAML, with the documented differences', () => {
    // The seed's config (keys in lower case, as Fluent Bit's YAML writes them), minus what
    // the sidecar changes on purpose: grace is added, the parsers are inline instead of a
    // Parsers_File, the DB moves from /var/log to the state volume (with db.locking), the
    // buffer is on the filesystem, new files are found every second, stack traces are one
    // record (java), and each output has a buffer limit.
    const seed: Array<[string, Props]> = [
      ['service', [['flush', '1'], ['log_level', 'info'], ['daemon', 'off'], ['http_server', 'on'], ['http_listen', '0.0.0.0'], ['http_port', '2020'], ['health_check', 'on']]],
      ['input', [['name', 'tail'], ['path', '/var/log/app/*.log'], ['tag', 'app.*'], ['read_from_head', 'on'], ['mem_buf_limit', '50M'], ['skip_long_lines', 'on']]],
      ['filter', [['name', 'parser'], ['match', 'app.*'], ['key_name', 'log'], ['parser', 'json'], ['reserve_data', 'on']]],
      ['filter', [['name', 'modify'], ['match', '*'], ['add', ['cluster ${CLUSTER_NAME}', 'namespace ${POD_NAMESPACE}', 'pod ${POD_NAME}', 'node ${NODE_NAME}']]]],
      ['output', [['name', 'forward'], ['match', '*'], ['host', 'fluentd-aggregator.logging'], ['port', '24224'], ['retry_limit', '5']]],
      ['output', [['name', 'stdout'], ['match', '*'], ['format', 'json_lines']]],
    ];
    const changed = (k: string) => ['grace', 'db', 'db.locking', 'refresh_interval', 'multiline.parser', 'storage.type', 'storage.total_limit_size'].includes(k) || k.startsWith('storage.');
    const actual: Array<[string, Props]> = [
      ['service', config.service], ...config.inputs.map(p => ['input', p] as [string, Props]),
      ...config.filters.map(p => ['filter', p] as [string, Props]), ...config.outputs.map(p => ['output', p] as [string, Props]),
    ];
    expect(actual.map(([n, p]) => [n, p.filter(([k]) => !changed(k))])).toEqual(seed);
    expect(config.parsers.map(p => prop(p, 'name'))).toEqual(['json', 'docker']);
    expect(obj(config.service).grace).toEqual('30');
    expect(obj(config.inputs[0])).toMatchObject({ 'db': '/var/fluent-bit/state/tail.db', 'multiline.parser': 'java', 'storage.type': 'filesystem' });
    expect(unknownKeys(config)).toEqual([]);
  });

  test('the seed\'s environment, from the Downward API', () => {
    expect(container(spec, 'fluent-bit').env.map((e: any) => e.name)).toEqual(['CLUSTER_NAME', 'POD_NAMESPACE', 'POD_NAME', 'NODE_NAME']);
    expect(spec.terminationGracePeriodSeconds).toEqual(65);
  });
});

describe('fluentBitSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: FluentBitSidecarProps = { workload: webDeployment(chart), outputs: [forward()], logDir: '/data/logs', logVolumeName: 'web-logs' };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, fluentBitSpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'fluent/fluent-bit:5.1.1',
      imageUser: 65532,
      imageGroup: 65532,
      kind: 'fluent-bit',
      profile: SidecarProfile.LOG_COLLECTOR,
      alertPack: FluentBitSidecar.ALERT_PACK,
      ports: [{ name: 'flb-metrics', number: 2020, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
      metrics: { portName: 'flb-metrics', path: '/api/v2/metrics/prometheus' },
      configDir: '/fluent-bit/etc',
      writablePaths: ['/var/fluent-bit/state'],
    });
    expect(spec.shutdownBudget!.toSeconds()).toBe(35);
    expect(spec.writableSizeLimit!.toMebibytes()).toBe(192);
    expect(Object.keys(spec.configFiles!)).toEqual(['fluent-bit.yaml']);
    expect(obj(readFlbYaml(spec.configFiles!['fluent-bit.yaml']).inputs[0]).path).toBe('/data/logs/*.log');
    // The shared log volume is declared, not added by hand: the app's own volume of that name is reused.
    expect(spec.volumes).toHaveLength(1);
    const [logs] = spec.volumes!;
    expect(logs).toMatchObject({ name: 'web-logs', path: '/data/logs', readOnly: true, appPath: '/data/logs', reuse: true });
    expect(logs.appReadOnly).toBeUndefined();
    expect(logs.source.kind).toBe('emptyDir');
    expect(Object.keys(spec.envVariables!)).toEqual(['POD_NAMESPACE', 'POD_NAME', 'NODE_NAME']);
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const chart = newChart();
    const props: FluentBitSidecarProps = { workload: webDeployment(chart), outputs: [FluentBitOutput.forward({ host: 'a b' })] };

    // WHEN
    let raised: unknown;
    try {
      fluentBitSpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'FLUENT_BIT_OUTPUT_INVALID', problem: 'output 0 (forward): \'host\' \'a b\' is not a valid host name or IP address' });
  });
});
