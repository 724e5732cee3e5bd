import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { FluentBitChart } from '../../../examples/fluent-bit';
import {
  FluentBitHttpFormat, FluentBitLogLevel, FluentBitLokiLineFormat, FluentBitOutput, FluentBitParserFormat,
  FluentBitSidecar, FluentBitSidecarProps, PodSidecars, Sidecar, SidecarImages, SidecarMode, SidecarProfile,
} from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import * as confModule from '../../../src/sidecars/fluent-bit/conf';
import { ConfError, renderConf } from '../../../src/sidecars/fluent-bit/conf';
import { DEFAULT_NAME, fluentBitSpec } from '../../../src/sidecars/fluent-bit/spec';
import { container, containerOrder, find, newChart, podMetadata, podSpec, synth, webDeployment } from '../../util';

const ROLLOUT = 'config.cdk8s-sidecars.io/fluent-bit';

/**
 * A reader of Fluent Bit's classic format with Fluent Bit's own rules
 * (flb_cf_fluentbit.c): `[NAME]` at column 0 opens a section, `@...` at column 0 is
 * a directive, `#` a comment; every other line is indented and is "key value",
 * split at the first space, the value trimmed.
 */
interface Section { readonly name: string; readonly entries: Array<[string, string]> }
function parseConf(text: string): Section[] {
  const sections: Section[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) throw new Error(`directive line: ${line}`);
    if (line.startsWith('[')) {
      const m = /^\[([^\]]+)\]$/.exec(line);
      if (!m) throw new Error(`bad section header: ${line}`);
      sections.push({ name: m[1], entries: [] });
      continue;
    }
    const m = /^([ \t]+)(\S+) (.*)$/.exec(line);
    if (!m || sections.length === 0) throw new Error(`bad line: ${line}`);
    sections[sections.length - 1].entries.push([m[2], m[3].trim()]);
  }
  return sections;
}

/** The sections named `name`. */
function sectionsNamed(conf: Section[], name: string): Section[] {
  return conf.filter(s => s.name === name);
}

/** The ConfigMap of the sidecar, its two files parsed. */
function configOf(manifests: any[]): { main: Section[]; parsers: Section[]; raw: any } {
  const cm = find(manifests, 'ConfigMap');
  return { main: parseConf(cm.data['fluent-bit.conf']), parsers: parseConf(cm.data['parsers.conf']), raw: cm };
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
  const { main, parsers, raw } = configOf(manifests);

  test('matches the snapshot', () => {
    expect(manifests).toMatchSnapshot();
  });

  test('SERVICE: flush, drain time (Grace), log level, HTTP server on 2020 with health check', () => {
    expect(main.map(s => s.name)).toEqual(['SERVICE', 'INPUT', 'FILTER', 'FILTER', 'OUTPUT', 'OUTPUT']);
    expect(sectionsNamed(main, 'SERVICE')[0].entries).toEqual([
      ['Flush', '1'],
      ['Grace', '5'],
      ['Log_Level', 'info'],
      ['Daemon', 'off'],
      ['Parsers_File', '/fluent-bit/etc/parsers.conf'],
      ['HTTP_Server', 'On'],
      ['HTTP_Listen', '0.0.0.0'],
      ['HTTP_Port', '2020'],
      ['Health_Check', 'On'],
    ]);
  });

  test('INPUT: tail of the log directory, with its DB on the state volume', () => {
    expect(sectionsNamed(main, 'INPUT')[0].entries).toEqual([
      ['Name', 'tail'],
      ['Path', '/var/log/app/*.log'],
      ['Tag', 'app.*'],
      ['Read_from_Head', 'True'],
      ['Refresh_Interval', '5'],
      ['Mem_Buf_Limit', '50MB'],
      ['Skip_Long_Lines', 'On'],
      ['DB', '/var/fluent-bit/state/tail.db'],
    ]);
    const stateMount = fb.volumeMounts.find((m: any) => m.mountPath === '/var/fluent-bit/state');
    expect(stateMount.readOnly).toBeFalsy();
    const stateVolume = spec.volumes.find((v: any) => v.name === stateMount.name);
    expect(stateVolume.emptyDir).toEqual({ sizeLimit: '64Mi' });
  });

  test('FILTERs: JSON parsing of the log key, then cluster/namespace/pod/node from the environment', () => {
    const [parser, modify] = sectionsNamed(main, 'FILTER');
    expect(parser.entries).toEqual([
      ['Name', 'parser'], ['Match', 'app.*'], ['Key_Name', 'log'], ['Parser', 'json'], ['Reserve_Data', 'True'],
    ]);
    expect(modify.entries).toEqual([
      ['Name', 'modify'], ['Match', '*'],
      ['Add', 'cluster ${CLUSTER_NAME}'],
      ['Add', 'namespace ${POD_NAMESPACE}'],
      ['Add', 'pod ${POD_NAME}'],
      ['Add', 'node ${NODE_NAME}'],
    ]);
    expect(fb.env).toEqual([
      { name: 'CLUSTER_NAME', value: 'production' },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
  });

  test('OUTPUTs: forward with retries, stdout as JSON lines', () => {
    const [fwd, stdout] = sectionsNamed(main, 'OUTPUT');
    expect(fwd.entries).toEqual([
      ['Name', 'forward'], ['Match', '*'], ['Host', 'fluentd-aggregator.logging'], ['Port', '24224'], ['Retry_Limit', '5'],
    ]);
    expect(stdout.entries).toEqual([['Name', 'stdout'], ['Match', '*'], ['Format', 'json_lines']]);
    expect(sidecar.outputNames).toEqual(['forward.0', 'stdout.1']);
  });

  test('parsers.conf: json and docker as in the seed', () => {
    expect(parsers).toEqual([
      { name: 'PARSER', entries: [['Name', 'json'], ['Format', 'json'], ['Time_Key', 'timestamp'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L%z']] },
      { name: 'PARSER', entries: [['Name', 'docker'], ['Format', 'json'], ['Time_Key', 'time'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L']] },
    ]);
    expect(sidecar.fluentBitConf).toEqual(raw.data['fluent-bit.conf']);
    expect(sidecar.parsersConf).toEqual(raw.data['parsers.conf']);
  });

  test('a native sidecar, first, with the pinned image and the config as args', () => {
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'app']);
    expect(fb.restartPolicy).toEqual('Always');
    expect(fb.image).toEqual('fluent/fluent-bit:3.2.10');
    expect(fb.image).toEqual(SidecarImages.FLUENT_BIT);
    expect(fb.command).toEqual(['/fluent-bit/bin/fluent-bit']);
    expect(fb.args).toEqual(['--config', '/fluent-bit/etc/fluent-bit.conf']);
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

  test('HTTP probes only (the image has no shell): startup and readiness gate on the HTTP server', () => {
    expect(fb.startupProbe.httpGet).toEqual({ path: '/api/v1/health', port: 2020, scheme: 'HTTP' });
    expect(fb.startupProbe.failureThreshold).toEqual(30);
    expect(fb.startupProbe.periodSeconds).toEqual(1);
    expect(fb.readinessProbe.httpGet).toEqual({ path: '/api/v1/uptime', port: 2020, scheme: 'HTTP' });
    expect(fb.livenessProbe.httpGet).toEqual({ path: '/api/v1/uptime', port: 2020, scheme: 'HTTP' });
    for (const probe of [fb.startupProbe, fb.readinessProbe, fb.livenessProbe]) {
      expect(probe.exec).toBeUndefined();
    }
    expect(sidecar.gatesStartup).toBe(true);
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
    // Only the state volume is writable.
    expect(fb.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath)).toEqual(['/var/fluent-bit/state']);
  });

  test('the grace period covers the app and the drain time + 5s', () => {
    expect(sidecar.shutdownBudget.toSeconds()).toEqual(10);
    expect(spec.terminationGracePeriodSeconds).toEqual(40);
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
      stateSizeLimit: Size.mebibytes(16),
      logSizeLimit: Size.mebibytes(512),
      logVolumeName: 'web-logs',
    });
    // WHEN
    const manifests = synth(chart);
    const spec = podSpec(find(manifests, 'Deployment'));
    const fb = container(spec, 'fluent-bit');
    const { main } = configOf(manifests);
    // THEN
    const service = new Map(sectionsNamed(main, 'SERVICE')[0].entries);
    expect(service.get('Grace')).toEqual('20');
    expect(service.get('Flush')).toEqual('2');
    expect(service.get('Log_Level')).toEqual('warn');
    expect(service.get('HTTP_Port')).toEqual('2021');
    const input = new Map(sectionsNamed(main, 'INPUT')[0].entries);
    expect(input.get('Path')).toEqual('/data/logs/app-*.json');
    expect(input.get('Tag')).toEqual('web.*');
    expect(input.get('Read_from_Head')).toEqual('False');
    expect(input.get('Refresh_Interval')).toEqual('10');
    expect(input.get('Mem_Buf_Limit')).toEqual('20MB');
    expect(input.get('Skip_Long_Lines')).toEqual('Off');
    expect(new Map(sectionsNamed(main, 'FILTER')[0].entries).get('Match')).toEqual('web.*');
    expect(sidecar.shutdownBudget.toSeconds()).toEqual(25);
    expect(spec.terminationGracePeriodSeconds).toEqual(55);
    expect(fb.ports).toEqual([{ containerPort: 2021, name: 'flb-metrics', protocol: 'TCP' }]);
    expect(fb.startupProbe.httpGet.port).toEqual(2021);
    expect(container(spec, 'app').volumeMounts).toEqual([{ name: 'web-logs', mountPath: '/data/logs', readOnly: false }]);
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes['web-logs'].emptyDir).toEqual({ sizeLimit: '512Mi' });
    expect(volumes['fluent-bit-var-fluent-bit-state'].emptyDir).toEqual({ sizeLimit: '16Mi' });
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

  test('no parsing and no pod metadata: no FILTERs and no environment', () => {
    // GIVEN
    const { chart } = withProps({ parseLogs: false, addPodMetadata: false });
    // WHEN
    const manifests = synth(chart);
    // THEN
    expect(configOf(manifests).main.map(s => s.name)).toEqual(['SERVICE', 'INPUT', 'OUTPUT']);
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
    const { main, parsers } = configOf(synth(chart));
    // THEN
    expect(parsers.map(p => p.entries[0][1])).toEqual(['json', 'docker', 'nginx', 'kv']);
    expect(parsers[2].entries).toEqual([
      ['Name', 'nginx'], ['Format', 'regex'],
      ['Regex', '^(?<remote>[^ ]*) (?<host>[^ ]*) \\[(?<time>[^\\]]*)\\]$'],
      ['Time_Key', 'time'], ['Time_Format', '%d/%b/%Y:%H:%M:%S %z'], ['Time_Keep', 'On'],
    ]);
    expect(parsers[3].entries).toEqual([['Name', 'kv'], ['Format', 'logfmt']]);
    const filter = new Map(sectionsNamed(main, 'FILTER')[0].entries);
    expect(filter.get('Parser')).toEqual('nginx');
    expect(filter.get('Key_Name')).toEqual('message');
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
      image: 'registry.example.com/fluent-bit:3.2.10',
      resources: { memory: { limit: Size.mebibytes(512) } },
    });
    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const fb = container(spec, 'log-shipper');
    // THEN
    expect(sidecar.name).toEqual('log-shipper');
    expect(fb.image).toEqual('registry.example.com/fluent-bit:3.2.10');
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

describe('outputs', () => {
  // GIVEN every output type, with their options
  const chart = newChart();
  const web = webDeployment(chart);
  const secret = new kplus.Secret(chart, 'creds', { stringData: { password: 'x' } });
  const sidecar = new FluentBitSidecar(chart, 'logs', {
    workload: web,
    outputs: [
      FluentBitOutput.elasticsearch({
        name: 'es-main',
        host: 'es.logging.svc',
        logstashPrefix: 'myapp',
        retryLimit: 3,
        tls: true,
        auth: { user: 'fluent', password: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }) },
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
    ],
  });
  // WHEN
  const manifests = synth(chart);
  const outputs = sectionsNamed(configOf(manifests).main, 'OUTPUT');
  const fb = container(podSpec(find(manifests, 'Deployment')), 'fluent-bit');

  test('matches the snapshot', () => {
    expect(find(manifests, 'ConfigMap').data).toMatchSnapshot();
  });

  test('elasticsearch with logstash indices, auth from a Secret and TLS', () => {
    expect(outputs[0].entries).toEqual([
      ['Name', 'es'], ['Alias', 'es-main'], ['Match', '*'],
      ['Host', 'es.logging.svc'], ['Port', '9200'],
      ['Logstash_Format', 'On'], ['Logstash_Prefix', 'myapp'],
      ['Suppress_Type_Name', 'On'],
      ['HTTP_User', 'fluent'], ['HTTP_Passwd', '${FLB_OUTPUT_0_PASSWORD}'],
      ['tls', 'On'], ['tls.verify', 'On'],
      ['Retry_Limit', '3'],
    ]);
    expect(fb.env).toContainEqual({ name: 'FLB_OUTPUT_0_PASSWORD', valueFrom: { secretKeyRef: { name: secret.name, key: 'password' } } });
    // The password is never in the ConfigMap.
    expect(JSON.stringify(find(manifests, 'ConfigMap'))).not.toContain('"x"');
  });

  test('elasticsearch with a fixed index', () => {
    expect(outputs[1].entries).toEqual([
      ['Name', 'es'], ['Match', '*'], ['Host', '10.0.0.5'], ['Port', '9201'], ['Index', 'logs'], ['Suppress_Type_Name', 'Off'], ['Retry_Limit', '5'],
    ]);
  });

  test('loki with labels, tenant and line format', () => {
    expect(outputs[2].entries).toEqual([
      ['Name', 'loki'], ['Match', '*'], ['Host', 'loki.monitoring'], ['Port', '3100'],
      ['Labels', 'job=myapp, namespace=$namespace'], ['Tenant_ID', 'team-a'], ['Line_Format', 'key_value'],
      ['tls', 'On'], ['tls.verify', 'Off'], ['Retry_Limit', '5'],
    ]);
  });

  test('http with headers, format and TLS on 443', () => {
    expect(outputs[3].entries).toEqual([
      ['Name', 'http'], ['Match', 'app.*'], ['Host', 'collector.example.com'], ['Port', '443'], ['URI', '/v1/logs'],
      ['Format', 'json_lines'], ['Header', 'X-Api-Version 2'], ['Header', 'X-Source cdk8s sidecar'],
      ['tls', 'On'], ['tls.verify', 'On'], ['Retry_Limit', '5'],
    ]);
  });

  test('any other plugin through custom(), and extra properties on typed outputs', () => {
    expect(outputs[4].entries).toEqual([
      ['Name', 'kafka'], ['Alias', 'kafka-audit'], ['Match', '*'], ['Retry_Limit', '5'],
      ['Brokers', 'kafka-0.kafka:9092,kafka-1.kafka:9092'], ['Topics', 'app-logs'], ['rdkafka.compression.codec', 'zstd'],
    ]);
    expect(outputs[5].entries).toEqual([
      ['Name', 'forward'], ['Match', '*'], ['Host', 'fluentd'], ['Port', '24224'], ['Retry_Limit', '5'], ['net.keepalive', 'on'],
    ]);
  });

  test('output names follow Fluent Bit (alias, else plugin.index)', () => {
    expect(sidecar.outputNames).toEqual(['es-main', 'es.1', 'loki.2', 'http.3', 'kafka-audit', 'forward.5', 'stdout.6']);
  });

  test('stdout gets a retry limit only when one is given', () => {
    expect(outputs[6].entries).toEqual([['Name', 'stdout'], ['Match', '*'], ['Format', 'json_lines'], ['Retry_Limit', '2']]);
  });
});

describe('workload kinds and modes', () => {
  test('on a Job: a native sidecar, so the Job completes; Fluent Bit flushes on SIGTERM', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'batch', { containers: [{ name: 'main', image: 'myjob:v1' }] });
    // WHEN
    new FluentBitSidecar(chart, 'logs', { workload: job, outputs: [forward()] });
    const spec = podSpec(find(synth(chart), 'Job'));
    // THEN
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'main']);
    expect(container(spec, 'fluent-bit').restartPolicy).toEqual('Always');
    expect(spec.terminationGracePeriodSeconds).toEqual(40);
  });

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

describe('bad input', () => {
  const OUTPUT = 'FLUENT_BIT_OUTPUT_INVALID';
  const PARSER = 'FLUENT_BIT_PARSER_INVALID';
  const VALUE = 'FLUENT_BIT_VALUE_INVALID';
  const LOG_DIR = 'FLUENT_BIT_LOG_DIR_INVALID';
  const ONE_LINE = 'pass a single-line value that does not start with \'[\' or \'@\'';
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
    ['a user name with a newline', () => ({ outputs: [FluentBitOutput.elasticsearch({ host: 'es', auth: { user: 'u\n@INCLUDE x', password: kplus.EnvValue.fromValue('p') } })] }), OUTPUT,
      'output 0 (es): \'auth.user\': \'u\\n@INCLUDE x\' contains a line break or another control character', ONE_LINE],
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
    ['a property key that is not an identifier', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { '@INCLUDE': '/etc/passwd' } })] }), OUTPUT,
      'output 0 (s3): property key \'@INCLUDE\' is not a plain identifier (letters, digits, \'_\', \'.\', \'-\', starting with a letter)', 'use the plugin\'s property name as documented by Fluent Bit'],
    ['a property value with @INCLUDE', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: 'b @INCLUDE /etc/x.conf' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': \'b @INCLUDE /etc/x.conf\' contains a configuration directive (\'@INCLUDE\', \'@SET\' or a leading \'@\')', ONE_LINE],
    ['a property value starting a section', () => ({ outputs: [FluentBitOutput.custom({ plugin: 's3', properties: { bucket: '[OUTPUT]' } })] }), OUTPUT,
      'output 0 (s3): property \'bucket\': \'[OUTPUT]\' starts with \'[\', the start of a section header', ONE_LINE],
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
    ['a regex with a newline', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.REGEX, regex: '^(?<a>.*)\n@INCLUDE /etc/x' }] }), PARSER,
      'parser \'p\': \'regex\': \'^(?<a>.*)\\n@INCLUDE /etc/x\' contains a line break or another control character', ONE_LINE],
    ['an empty time key', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.JSON, timeKey: '' }] }), PARSER,
      'parser \'p\': \'timeKey\': the value is empty', ONE_LINE],
    ['a time format starting a section', () => ({ parsers: [{ name: 'p', format: FluentBitParserFormat.JSON, timeFormat: '[PARSER]' }] }), PARSER,
      'parser \'p\': \'timeFormat\': \'[PARSER]\' starts with \'[\', the start of a section header', ONE_LINE],
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

describe('config injection', () => {
  test('any custom property value either is refused or stays one value on its own line', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), value => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      let sidecar: FluentBitSidecar;
      try {
        // WHEN
        sidecar = new FluentBitSidecar(chart, 'logs', {
          workload: web,
          outputs: [FluentBitOutput.custom({ plugin: 'null', properties: { value } })],
        });
      } catch (e) {
        // THEN refused with a sidecar error
        expect((e as Error).message).toMatch(/^\[FLUENT_BIT_OUTPUT_INVALID\] workload 'test\/web', sidecar 'fluent-bit': output 0 \(null\): property 'value': .*\. Fix: /s);
        return;
      }
      // THEN the config has exactly the expected sections, and the value came back whole
      const conf = parseConf(sidecar.fluentBitConf);
      expect(conf.map(s => s.name)).toEqual(['SERVICE', 'INPUT', 'FILTER', 'FILTER', 'OUTPUT']);
      expect(conf[4].entries).toEqual([['Name', 'null'], ['Match', '*'], ['Retry_Limit', '5'], ['value', value]]);
    }), { numRuns: 300 });
  });

  test('a line the renderer refuses fails the sidecar with the section and key', () => {
    // GIVEN a renderer that finds a bad line the per-field checks let through
    const spy = jest.spyOn(confModule, 'renderConf').mockImplementationOnce(() => {
      throw new ConfError('OUTPUT', 'Host', '\'x\\ny\' contains a line break or another control character');
    });
    const chart = newChart();
    const web = webDeployment(chart);
    try {
      // WHEN / THEN (a host no other test uses: each distinct config is rendered once per process)
      expect(() => new FluentBitSidecar(chart, 'logs', { workload: web, outputs: [FluentBitOutput.forward({ host: 'renderer-refuses.logging' })] })).toThrow(err(
        'FLUENT_BIT_CONFIG_INVALID', 'the generated configuration has an invalid line ([OUTPUT] Host: \'x\\ny\' contains a line break or another control character)',
        'correct the value that ends up in that line'));
    } finally {
      spy.mockRestore();
    }
  });

  test('the renderer refuses what the per-field checks would miss', () => {
    // GIVEN sections built by hand, past the sidecar's validation
    // THEN
    expect(() => renderConf([{ name: 'OUTPUT', entries: [['Name', 'x\n[INPUT]']] }])).toThrow(
      '[OUTPUT] Name: \'x\\n[INPUT]\' contains a line break or another control character');
    expect(() => renderConf([{ name: 'OUTPUT', entries: [['@INCLUDE', 'x']] }])).toThrow(
      '[OUTPUT] @INCLUDE: key \'@INCLUDE\' is not a plain identifier (letters, digits, \'_\', \'.\', \'-\', starting with a letter)');
    expect(() => renderConf([{ name: 'OUTPUT]\n[INPUT', entries: [] }])).toThrow(
      '[OUTPUT]\n[INPUT]: \'OUTPUT]\n[INPUT\' is not a section name');
    expect(renderConf([{ name: 'SERVICE', entries: [['Flush', '1'], ['Log_Level', 'info']] }])).toEqual(
      '[SERVICE]\n    Flush     1\n    Log_Level info\n');
  });
});

describe('examples/fluent-bit.ts (seed 000 app-with-logging)', () => {
  // GIVEN the example chart
  const chart = new FluentBitChart(Testing.app(), 'fluent-bit', { namespace: 'production' });
  // WHEN
  const manifests = synth(chart);
  const spec = podSpec(find(manifests, 'Deployment'));
  const { main, parsers } = configOf(manifests);

  test('the pod of the seed: fluent-bit native sidecar, then the app; 3 replicas', () => {
    expect(find(manifests, 'Deployment').spec.replicas).toEqual(3);
    expect(containerOrder(spec)).toEqual(['init:fluent-bit', 'app']);
    expect(container(spec, 'app').env).toEqual([
      { name: 'LOG_FILE', value: '/var/log/app/app.log' },
      { name: 'LOG_FORMAT', value: 'json' },
    ]);
  });

  test('the seed\'s fluent-bit.conf, key by key, with the documented differences', () => {
    // The seed's config, minus what the sidecar changes on purpose: Grace is added,
    // Parsers_File is absolute, and the DB moves from /var/log to the state volume.
    const seed: Array<[string, Array<[string, string]>]> = [
      ['SERVICE', [['Flush', '1'], ['Log_Level', 'info'], ['Daemon', 'off'], ['HTTP_Server', 'On'], ['HTTP_Listen', '0.0.0.0'], ['HTTP_Port', '2020'], ['Health_Check', 'On']]],
      ['INPUT', [['Name', 'tail'], ['Path', '/var/log/app/*.log'], ['Tag', 'app.*'], ['Read_from_Head', 'True'], ['Refresh_Interval', '5'], ['Mem_Buf_Limit', '50MB'], ['Skip_Long_Lines', 'On']]],
      ['FILTER', [['Name', 'parser'], ['Match', 'app.*'], ['Key_Name', 'log'], ['Parser', 'json'], ['Reserve_Data', 'True']]],
      ['FILTER', [['Name', 'modify'], ['Match', '*'], ['Add', 'cluster ${CLUSTER_NAME}'], ['Add', 'namespace ${POD_NAMESPACE}'], ['Add', 'pod ${POD_NAME}'], ['Add', 'node ${NODE_NAME}']]],
      ['OUTPUT', [['Name', 'forward'], ['Match', '*'], ['Host', 'fluentd-aggregator.logging'], ['Port', '24224'], ['Retry_Limit', '5']]],
      ['OUTPUT', [['Name', 'stdout'], ['Match', '*'], ['Format', 'json_lines']]],
    ];
    const changed = ['Grace', 'Parsers_File', 'DB'];
    expect(main.map(s => [s.name, s.entries.filter(([k]) => !changed.includes(k))])).toEqual(seed);
    expect(parsers.map(p => p.entries[0][1])).toEqual(['json', 'docker']);
    expect(new Map(main[0].entries).get('Grace')).toEqual('5');
    expect(new Map(main[1].entries).get('DB')).toEqual('/var/fluent-bit/state/tail.db');
  });

  test('the seed\'s environment, from the Downward API', () => {
    expect(container(spec, 'fluent-bit').env.map((e: any) => e.name)).toEqual(['CLUSTER_NAME', 'POD_NAMESPACE', 'POD_NAME', 'NODE_NAME']);
    expect(spec.terminationGracePeriodSeconds).toEqual(40);
  });
});

describe('fluentBitSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: FluentBitSidecarProps = { workload: webDeployment(chart), outputs: [forward()], logDir: '/data/logs', logVolumeName: 'web-logs' };
    const constructs = chart.node.findAll().length;

    // WHEN
    const spec = fluentBitSpec(props, specContext(chart, props, DEFAULT_NAME));

    // THEN
    expect(chart.node.findAll().length).toBe(constructs);
    expect(spec).toMatchObject({
      image: 'fluent/fluent-bit:3.2.10',
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
    expect(spec.shutdownBudget!.toSeconds()).toBe(10);
    expect(spec.writableSizeLimit!.toMebibytes()).toBe(64);
    expect(Object.keys(spec.configFiles!)).toEqual(['fluent-bit.conf', 'parsers.conf']);
    expect(new Map(sectionsNamed(parseConf(spec.configFiles!['fluent-bit.conf']), 'INPUT')[0].entries).get('Path')).toBe('/data/logs/*.log');
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
