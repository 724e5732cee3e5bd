import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import {
  AlertSeverity,
  EnvoyDnsType,
  EnvoySidecar,
  FluentBitLogLevel,
  FluentBitOutput,
  FluentBitParserFormat,
  FluentBitSidecar,
  PodSidecars,
  Sidecar,
  SidecarAlerts,
  SidecarKind,
  SidecarMode,
  SidecarProfile,
  VaultAgentInjector,
  VaultAgentSidecar,
  VaultCaCertificate,
} from '../src';
import { notALibraryError, violations, WorkloadExpectation } from './invariants';
import { ALERTS } from '../src/_alert-rules';

/**
 * Property-based tests: random workloads with random sidecars of every kind, random
 * modes, ports, names, budgets and alert options. Each case either synthesizes to
 * objects that are valid against the upstream schemas and hold the invariants of
 * test/invariants.ts, or fails with one of the library's own errors. Cases are plain
 * data, so fast-check prints a failing one (and its seed) readably.
 *
 * One generator and one builder per sidecar kind: add a kind to `sidecars` in
 * arbitraries() and to BUILDERS. PROPERTY_RUNS=<n> runs more cases; PROPERTY_DEBUG=1
 * prints how many synthesized and why the others failed.
 */

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
// About 5 s per property on a quiet machine; room for a loaded CI runner with coverage.
const TIMEOUT = 120_000;

// ---------------------------------------------------------------------------
// Strings

/** Strings that try to break out of names, configs and expressions. */
const NASTY = [
  '', ' ', 'Bad_Name', 'UPPER', '-lead', 'trail-', 'a.b', 'é', 'a'.repeat(64),
  'a\nb', 'x"y', "it's", 'a b', '{{ .Data }}', '}}', '[OUTPUT]', '@INCLUDE /etc/passwd',
  '@SET a=b', '${HOME}', '%{x}', 'a,b', 'a=b', 'a#b', 'x"} or vector(1) #', 'a",container=~".*', 'a|b', '\\', '*',
];

/** Names real users pick, so that sidecars, apps and volumes collide. */
const COMMON_NAMES = ['app', 'worker', 'envoy', 'fluent-bit', 'vault-agent', 'vault-agent-init', 'sync', 'migrate', 'logs'];

/** The generated alerts that have a threshold. */
const THRESHOLDS = ALERTS.filter(a => a.defaults.threshold !== undefined).map(a => a.alert);

/** Ports the named sidecars and the apps use, so that they collide. */
const SIDECAR_PORTS = [15000, 15001, 15006, 15090, 2020, 8201, 8080, 80, 9102];

/**
 * The case generators. With `wild`, every field is sometimes invalid (bad names,
 * ports, paths, durations, injection attempts); without it, values are valid one
 * by one and only their combinations (collisions, modes, workload kinds) can fail.
 * `hostile` (a weight: one invalid value for that many valid ones) keeps the valid
 * structure but slips in an invalid value now and then.
 */
function arbitraries(wild: boolean, hostile?: number) {
  /** `valid`, or in wild cases now and then `invalid`. */
  const bad = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>): fc.Arbitrary<T | U> => (wild || hostile !== undefined
    ? fc.oneof({ weight: hostile ?? 20, arbitrary: valid }, { weight: 1, arbitrary: invalid })
    : valid);
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const nasty = fc.constantFrom(...NASTY);

  /** A valid DNS label, short so that collisions happen. */
  const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,6}[a-z0-9])?$/);
  // Valid cases keep the collisions among sidecars, and leave the app's names alone.
  const common = wild ? COMMON_NAMES : COMMON_NAMES.filter(n => !['app', 'worker', 'migrate'].includes(n));
  const containerName = bad(fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...common) }, { weight: wild ? 1 : 3, arbitrary: label }), nasty);
  const validPort = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SIDECAR_PORTS) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  );
  const port = bad(validPort, fc.constantFrom(0, -1, 65536, 1.5, Number.NaN));
  /** Whole seconds, in wild cases sometimes not whole (cdk8s itself refuses negative durations). */
  const seconds = (max: number) => bad(fc.integer({ min: 0, max }), fc.constantFrom(1.5, 0.25));
  const mode = opt(fc.constantFrom(SidecarMode.NATIVE, SidecarMode.LEGACY));
  const path = bad(
    fc.constantFrom('/tmp', '/data', '/var/log/app', '/cache', '/vault/secrets', '/etc/envoy', '/fluent-bit/etc', '/shared/x'),
    fc.constantFrom('relative', '/a/../b', '/x\ny', '/', ''),
  );
  /** A value that lands in a generated config: plain, or an injection attempt. */
  const confValue = bad(fc.stringMatching(wild ? /^[a-z][a-z0-9._-]{0,10}$/ : /^[a-z][a-z0-9_]{0,10}$/), nasty);
  const host = bad(
    fc.constantFrom('fluentd.logging', 'payments.production.svc.cluster.local', '10.0.0.7', 'localhost', 'es'),
    fc.oneof(nasty, fc.constantFrom('256.1.1.1', '1.2.3', 'a..b', 'host:80')),
  );

  // Sidecar cases: one generator per kind.

  const generic = fc.record({
    type: fc.constant('generic' as const),
    name: opt(containerName),
    image: bad(
      fc.constantFrom('rclone/rclone:1.68.2', 'registry.local:5000/tools/sync:v1', 'busybox@sha256:abc'),
      fc.constantFrom('busybox', 'busybox:latest', '', 'registry.local:5000/sync'),
    ),
    profile: fc.constantFrom('LOG_COLLECTOR', 'SECRET_INJECTION', 'PROXY', 'METRICS_EXPORTER', 'CONFIG_RELOAD', 'DATA_SYNC'),
    kind: opt(fc.constantFrom(...Object.values(SidecarKind))),
    mode,
    ports: fc.array(fc.record({
      number: port,
      name: opt(bad(fc.constantFrom('metrics', 'http', 'envoy-stats', 'flb-metrics'), nasty)),
      udp: fc.boolean(),
    }), { maxLength: 2 }),
    metrics: opt(fc.record({
      portName: bad(fc.constantFrom('metrics', 'http'), fc.constant('nope')),
      path: bad(fc.constantFrom('/metrics', '/m?format=prometheus'), fc.constantFrom('metrics', '/a b')),
    })),
    shutdownBudget: opt(seconds(60)),
    writablePaths: fc.array(path, { maxLength: 2 }),
    writableSizeLimitMi: opt(fc.integer({ min: 1, max: 512 })),
    shared: fc.array(fc.record({
      volume: fc.constantFrom('shared', 'app-logs', 'cache', 'vault-agent-secrets', 'envoy-config'),
      memory: fc.boolean(),
      sizeLimitMi: opt(fc.integer({ min: 1, max: 256 })),
      path,
      readOnly: opt(fc.boolean()),
      mountInApp: opt(fc.boolean()),
      appPath: opt(path),
      appReadOnly: opt(fc.boolean()),
    }), { maxLength: 2 }),
    runOnce: opt(fc.boolean()),
    legacyJobInitContainer: opt(fc.boolean()),
    startRank: opt(bad(fc.oneof(fc.constantFrom(100, 200, 300, 400), fc.integer({ min: -5, max: 1000 })), fc.constant(Number.NaN))),
    beforeInitContainers: opt(fc.boolean()),
    appContainers: opt(fc.array(bad(fc.constantFrom('app', 'worker', 'migrate'), fc.constant('nope')), { maxLength: 2 })),
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constantFrom(0, -1, 1.5))),
    group: opt(bad(fc.integer({ min: 0, max: 70000 }), fc.constant(-1))),
    env: opt(fc.dictionary(bad(fc.constantFrom('MODE', 'LOG_LEVEL', 'HTTP_PROXY'), nasty), confValue, { maxKeys: 2 })),
    args: opt(fc.array(fc.oneof(confValue, fc.constantFrom(...NASTY)), { maxLength: 3 })),
    startupProbe: fc.boolean(),
    preStop: fc.boolean(),
    legacyStartupCommand: fc.boolean(),
    cpuOverride: opt(bad(
      fc.integer({ min: 1, max: 1000 }).chain(request => fc.record({
        request: fc.constant(request),
        limit: opt(fc.integer({ min: request, max: 2000 })),
      })),
      fc.record({ request: fc.integer({ min: 0, max: 1000 }), limit: opt(fc.integer({ min: 0, max: 1000 })) }),
    )),
  }).map(g => (wild || g.metrics === undefined || g.ports.some(p => p.name === g.metrics!.portName) ? g : { ...g, metrics: undefined }));

  const outputCase = fc.record({
    plugin: fc.constantFrom('forward', 'stdout', 'es', 'loki', 'http', 'custom'),
    name: opt(confValue),
    match: opt(bad(fc.constantFrom('*', 'app.*'), nasty)),
    host,
    port: opt(port),
    retryLimit: opt(bad(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, 1.5))),
    tls: opt(fc.boolean()),
    tlsVerify: opt(bad(fc.constant(undefined), fc.boolean())),
    text: opt(confValue),
    map: opt(fc.dictionary(bad(fc.constantFrom('workers', 'job', 'team'), fc.oneof(nasty, fc.constantFrom('X-Team', 'Name', 'Host', 'Match'))), confValue, { minKeys: wild ? 0 : 1, maxKeys: 2 })),
    auth: opt(fc.record({ user: confValue })),
  });

  const fluentBit = fc.record({
    type: fc.constant('fluent-bit' as const),
    name: opt(containerName),
    mode,
    outputs: fc.array(outputCase, { minLength: wild ? 0 : 1, maxLength: 3 }),
    httpPort: opt(port),
    logDir: opt(wild ? path : fc.constantFrom('/var/log/app', '/logs', '/data/logs')),
    logVolumeName: opt(bad(fc.constantFrom('app-logs', 'shared', 'cache'), nasty)),
    grace: opt(bad(fc.integer({ min: 1, max: 30 }), fc.constantFrom(0, 1.5))),
    tag: opt(bad(fc.constant('app.*'), nasty)),
    clusterName: opt(bad(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), nasty)),
    parseLogs: opt(fc.boolean()),
    parsers: fc.uniqueArray(fc.record({
      name: bad(fc.constantFrom('nginx', 'app_json', 'multi.line'), fc.oneof(nasty, fc.constantFrom('json', 'docker'))),
      format: bad(fc.constantFrom(...Object.values(FluentBitParserFormat)), fc.constant('xml' as FluentBitParserFormat)),
      regex: opt(bad(fc.constantFrom('^(?<time>[^ ]+) (?<log>.*)$', '^(?<msg>.*) \\[x\\]$'), nasty)),
      timeKey: opt(confValue),
      timeFormat: opt(bad(fc.constantFrom('%Y-%m-%dT%H:%M:%S', '%d/%b/%Y:%H:%M:%S %z'), nasty)),
      timeKeep: opt(fc.boolean()),
    }).map(p => (wild ? p : { ...p, regex: p.format === FluentBitParserFormat.REGEX ? p.regex ?? '^(?<log>.*)$' : undefined })),
    { maxLength: 2, selector: p => (wild ? p.timeKey : p.name) }),
    parser: opt(bad(fc.constantFrom('json', 'docker'), fc.oneof(nasty, fc.constant('nginx')))),
    parseKey: opt(bad(fc.constantFrom('log', 'message'), nasty)),
    logFiles: opt(bad(fc.constantFrom('*.log', 'app-?.json'), fc.oneof(nasty, fc.constantFrom('a/b', 'a,b')))),
    logLevel: opt(bad(fc.constantFrom(...Object.values(FluentBitLogLevel)), fc.constant('loud' as FluentBitLogLevel))),
    memBufLimitMi: opt(bad(fc.integer({ min: 1, max: 200 }), fc.constant(0))),
    readFromHead: opt(fc.boolean()),
    readinessOnDelivery: opt(fc.boolean()),
  });

  const upstream = fc.record({
    name: bad(fc.oneof(fc.constantFrom('payments', 'orders'), fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}[a-z0-9]$/)), fc.oneof(nasty, fc.constantFrom('local_app', 'envoy_admin'))),
    host,
    port: validPort,
    dnsType: opt(fc.constantFrom(...Object.values(EnvoyDnsType))),
    domains: opt(fc.array(bad(fc.oneof(host, fc.constantFrom('*.example.com', 'api:8080')), fc.constant('api:99999')), { maxLength: 2 })),
    connectTimeoutMs: opt(bad(fc.integer({ min: 1, max: 10000 }), fc.constantFrom(0, 0.5))),
  });

  const envoy = fc.record({
    type: fc.constant('envoy' as const),
    name: opt(containerName),
    mode,
    appPort: wild ? port : fc.constantFrom(8080, 80, 3000, 9102),
    upstreams: wild
      ? fc.array(upstream, { maxLength: 3 })
      : fc.uniqueArray(upstream, { maxLength: 3, selector: u => u.host })
        .map(us => us.map((u, i) => ({
          ...u,
          name: `${u.name}${i}`,
          domains: undefined,
          dnsType: u.dnsType === EnvoyDnsType.STATIC && !/^[0-9.]+$/.test(u.host) ? undefined : u.dnsType,
        }))),
    outboundPort: wild ? opt(port) : fc.constant(undefined),
    inboundPort: wild ? opt(port) : fc.constant(undefined),
    adminPort: wild ? opt(port) : fc.constant(undefined),
    statsPort: wild ? opt(port) : fc.constant(undefined),
    drainTime: opt(seconds(30)),
    concurrency: opt(bad(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, 1.5))),
    noProxy: opt(fc.array(bad(fc.constantFrom('.svc', '10.0.0.0/8', 'example.com'), nasty), { maxLength: 2 })),
    expose: opt(fc.record({ port: opt(port), name: opt(label) })),
    ownPorts: wild ? fc.constant(undefined) : opt(fc.uniqueArray(validPort, { minLength: 4, maxLength: 4 })),
  }).map(e => (e.ownPorts === undefined ? e : {
    ...e,
    outboundPort: e.ownPorts[0],
    inboundPort: e.ownPorts[1],
    adminPort: e.ownPorts[2],
    statsPort: e.ownPorts[3],
  }));

  const secret = fc.record({
    name: bad(fc.oneof(fc.constantFrom('db-creds', 'api-key', 'config.json'), label), nasty),
    path: bad(fc.constantFrom('database/creds/myapp-db', 'secret/data/myapp/api-key'), fc.oneof(nasty, fc.constantFrom('/leading', 'a/../b'))),
    // Templates are files of their own: any text is allowed.
    template: opt(fc.oneof(
      fc.constantFrom('{{ with secret "secret/data/x" }}{{ .Data.data.password }}{{ end }}', 'line1\nline2', '${VAR} %{ if x }', '"quoted" \\ back'),
      fc.constantFrom(...NASTY.filter(s => s.trim() !== '')),
    )),
  });

  const vaultOptions = {
    role: bad(fc.constantFrom('myapp', 'batch_role', 'a.b-c'), nasty),
    secrets: wild ? fc.array(secret, { maxLength: 3 }) : fc.uniqueArray(secret, { minLength: 1, maxLength: 3, selector: x => x.name }),
    address: opt(bad(
      fc.constantFrom('https://vault.vault.svc:8200', 'http://10.0.0.9:8200', 'https://vault.example.com/'),
      fc.oneof(nasty, fc.constantFrom('ftp://vault', 'https://user:pw@vault', 'https://vault/path', 'https://vault?x=1', 'vault:8200')),
    )),
    ca: opt(fc.record({ from: bad(fc.constant('secret'), fc.constant('configmap')), key: opt(bad(fc.constant('ca.crt'), nasty)) })),
    tokenAudience: opt(bad(fc.constant('vault'), nasty)),
    tokenExpiration: opt(bad(fc.constantFrom(600, 3600), fc.constantFrom(599, 10.5))),
  };

  const vault = fc.record({
    type: fc.constant('vault' as const),
    name: opt(containerName),
    mode,
    ...vaultOptions,
    secretsPath: opt(bad(fc.constantFrom('/vault/secrets', '/run/secrets'), path)),
    metricsPort: opt(port),
    startRank: opt(fc.integer({ min: 0, max: 500 })),
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constant(0))),
    beforeInitContainers: opt(fc.boolean()),
    appContainers: opt(fc.array(bad(fc.constantFrom('app', 'worker', 'migrate'), fc.constant('nope')), { maxLength: 2 })),
    secretsSizeLimitMi: opt(fc.integer({ min: 1, max: 64 })),
  });

  const injector = fc.record({
    type: fc.constant('injector' as const),
    ...vaultOptions,
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constant(0))),
    image: opt(bad(fc.constant('hashicorp/vault:1.19.0'), fc.constant('vault:latest'))),
  });

  /** One generator per sidecar kind. */
  const sidecars = { 'generic': generic, 'fluent-bit': fluentBit, envoy, vault, injector };

  const alerts = fc.record({
    labels: opt(fc.dictionary(bad(fc.constantFrom('release', 'team', 'example.com/owner'), nasty), bad(fc.constantFrom('prometheus', 'core'), nasty), { maxKeys: 2 })),
    alertLabels: opt(fc.dictionary(bad(fc.constantFrom('team', 'page'), fc.oneof(nasty, fc.constantFrom('severity', '__x'))), bad(fc.constantFrom('core', 'yes', 'a "quoted" {value}'), nasty), { maxKeys: 2 })),
    runbookBaseUrl: opt(bad(fc.constant('https://wiki.example.com/runbooks'), nasty)),
    overrides: opt(fc.dictionary(
      bad(fc.constantFrom(...SidecarAlerts.ALERT_NAMES), fc.constant('NoSuchAlert')),
      fc.record({
        severity: opt(fc.constantFrom(...Object.values(AlertSeverity))),
        pendingFor: opt(seconds(3600)),
        threshold: opt(bad(
          fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(1e21, 1e-7, 0.1 + 0.2)),
          fc.constantFrom(-1, Number.NaN, Infinity),
        )),
        disabled: opt(fc.boolean()),
      }),
      { maxKeys: 3 },
    ).map(o => (wild ? o : Object.fromEntries(Object.entries(o).map(([k, v]) => [k, THRESHOLDS.includes(k) ? v : { ...v, threshold: undefined }]))))),
    rules: fc.uniqueArray(fc.record({
      alert: bad(fc.constantFrom('MyAlert', 'Other_1'), fc.oneof(nasty, fc.constant('SidecarContainerRestarting'))),
      expr: bad(fc.constantFrom('up == 0', 'rate(http_requests_total[5m]) > 1', 'vector(1)'), fc.constantFrom('sum by (pod) (x', 'up{job="a"', '', 'foo bar')),
      summary: bad(fc.constant('Something is wrong.'), nasty),
      description: opt(fc.constantFrom('Multi\nline "description" {{ $labels.pod }}', 'plain')),
      runbookUrl: opt(fc.constant('https://wiki.example.com/x')),
      pendingFor: opt(seconds(600)),
      severity: opt(bad(fc.constantFrom(...Object.values(AlertSeverity)), fc.constant('page' as AlertSeverity))),
      labels: opt(fc.dictionary(bad(fc.constant('team'), nasty), bad(fc.constant('core'), nasty), { maxKeys: 2 })),
    }), { maxLength: 2, selector: r => (wild ? r.summary : r.alert) }),
    podMonitor: opt(fc.boolean()),
    evaluationInterval: opt(bad(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, 1.5))),
  });

  const pod = fc.record({
    namespace: opt(bad(fc.constantFrom('production', 'batch'), nasty)),
    kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'),
    restartPolicy: fc.constantFrom(kplus.RestartPolicy.ALWAYS, kplus.RestartPolicy.ON_FAILURE, kplus.RestartPolicy.NEVER),
    jobPolicy: fc.constantFrom({}, { restartPolicy: undefined }),
    apps: fc.uniqueArray(fc.record({
      name: bad(fc.constantFrom('app', 'worker'), fc.constantFrom('envoy', 'fluent-bit', 'vault-agent')),
      ports: fc.uniqueArray(fc.record({ number: validPort, udp: fc.boolean() }), { maxLength: 2, selector: p => p.number }),
      // A volume of the app's own, sometimes named like one of a sidecar's.
      volume: opt(fc.constantFrom('data', 'shared', 'app-logs', 'envoy-config', 'fluent-bit-config', 'vault-agent-home', 'vault-agent-secrets', 'vault-agent-sa-token')),
    }), { minLength: 1, maxLength: 2, selector: a => a.name }),
    inits: fc.uniqueArray(bad(fc.constantFrom('migrate', 'setup', 'wait-db'), fc.constantFrom('envoy', 'app')), { maxLength: 2 }),
    grace: opt(fc.integer({ min: 0, max: 120 })),
    appShutdown: opt(seconds(120)),
    limit: opt(seconds(400)),
    defaultMode: opt(fc.record({
      on: fc.constantFrom('chart', 'app'),
      mode: bad(fc.constantFrom(SidecarMode.NATIVE, SidecarMode.LEGACY), fc.constant('OLD' as SidecarMode)),
      late: wild ? fc.boolean() : fc.constant(false),
    })),
    sidecars: fc.array(fc.oneof(...Object.entries(sidecars).map(([k, arbitrary]) => ({ weight: k === 'injector' ? 1 : 3, arbitrary }))), { minLength: 1, maxLength: wild ? 4 : 3 }),
    alerts: opt(alerts),
    // A second workload, in a namespace of its own, with a scraped sidecar: the alert
    // matchers then list several namespaces.
    second: opt(fc.record({
      namespace: bad(fc.constantFrom('batch', 'other'), nasty),
      kind: fc.constantFrom(...Object.values(SidecarKind)),
    })),
  });

  return { pod, sidecars, alerts };
}

type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;
type PodCase = Generated<ReturnType<typeof arbitraries>['pod']>;
type SidecarCases = ReturnType<typeof arbitraries>['sidecars'];
type SidecarCase<K extends keyof SidecarCases> = Generated<SidecarCases[K]>;

// ---------------------------------------------------------------------------
// Builders

const PROFILES: { [name: string]: SidecarProfile } = {
  LOG_COLLECTOR: SidecarProfile.LOG_COLLECTOR,
  SECRET_INJECTION: SidecarProfile.SECRET_INJECTION,
  PROXY: SidecarProfile.PROXY,
  METRICS_EXPORTER: SidecarProfile.METRICS_EXPORTER,
  CONFIG_RELOAD: SidecarProfile.CONFIG_RELOAD,
  DATA_SYNC: SidecarProfile.DATA_SYNC,
};

function buildWorkload(chart: Chart, c: PodCase): kplus.AbstractPod {
  const props = {
    containers: c.apps.map((a, i) => ({
      name: a.name,
      image: 'myapp:v1.0.0',
      volumeMounts: a.volume === undefined ? undefined : [{ path: '/own', volume: kplus.Volume.fromEmptyDir(chart, `AppVolume${i}`, a.volume) }],
      ports: a.ports.map(p => ({ number: p.number, protocol: p.udp ? kplus.Protocol.UDP : kplus.Protocol.TCP })),
      securityContext: { ensureNonRoot: false },
    })),
    initContainers: c.inits.map(name => ({ name, image: 'migrate:v1.0.0', securityContext: { ensureNonRoot: false } })),
    terminationGracePeriod: c.grace === undefined ? undefined : Duration.seconds(c.grace),
  };
  switch (c.kind) {
    case 'Deployment': return new kplus.Deployment(chart, 'W', props);
    case 'StatefulSet': return new kplus.StatefulSet(chart, 'W', {
      ...props,
      // cdk8s-plus cannot make the headless Service of a StatefulSet without ports.
      service: new kplus.Service(chart, 'Headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    });
    case 'DaemonSet': return new kplus.DaemonSet(chart, 'W', props);
    // A Job's pods cannot restart always; 'Always' stands for leaving restartPolicy out,
    // or passing it as undefined (then cdk8s-plus renders 'Always').
    case 'Job': return new kplus.Job(chart, 'W', {
      ...props,
      ...(c.restartPolicy === kplus.RestartPolicy.ALWAYS ? c.jobPolicy : { restartPolicy: c.restartPolicy }),
    });
    case 'CronJob': return new kplus.CronJob(chart, 'W', {
      ...props,
      schedule: Cron.daily(),
      ...(c.restartPolicy === kplus.RestartPolicy.ALWAYS ? c.jobPolicy : { restartPolicy: c.restartPolicy }),
    });
    default: return new kplus.Pod(chart, 'W', { ...props, restartPolicy: c.restartPolicy });
  }
}

const secondsOf = (s: number | undefined) => (s === undefined ? undefined : Duration.seconds(s));

function output(o: SidecarCase<'fluent-bit'>['outputs'][number]): FluentBitOutput {
  const common = { name: o.name, match: o.match, retryLimit: o.retryLimit };
  const auth = o.auth ? { user: o.auth.user, password: kplus.EnvValue.fromValue('pw') } : undefined;
  switch (o.plugin) {
    case 'forward': return FluentBitOutput.forward({ ...common, host: o.host, port: o.port, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'stdout': return FluentBitOutput.stdout(common);
    case 'es': return FluentBitOutput.elasticsearch({ ...common, host: o.host, port: o.port, index: o.text, auth, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'loki': return FluentBitOutput.loki({ ...common, host: o.host, port: o.port, labels: o.map, tenantId: o.text, auth });
    case 'http': return FluentBitOutput.http({ ...common, host: o.host, port: o.port, uri: o.text === undefined ? undefined : `/${o.text}`, headers: o.map, auth, tls: o.tls, tlsVerify: o.tlsVerify });
    default: return FluentBitOutput.custom({ ...common, plugin: o.text ?? 'kafka', properties: o.map });
  }
}

function vaultProps(chart: Chart, v: SidecarCase<'vault'> | SidecarCase<'injector'>) {
  const ca = v.ca === undefined ? undefined : v.ca.from === 'secret'
    ? VaultCaCertificate.fromSecret(kplus.Secret.fromSecretName(chart, `CaSecret${chart.node.children.length}`, 'vault-ca'), v.ca.key)
    : VaultCaCertificate.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, `CaMap${chart.node.children.length}`, 'vault-ca'), v.ca.key);
  return {
    role: v.role,
    secrets: v.secrets,
    address: v.address,
    caCertificate: ca,
    tokenAudience: v.tokenAudience,
    tokenExpiration: secondsOf(v.tokenExpiration),
  };
}

/** One builder per sidecar kind: what the case asks for, in the library's API. */
const BUILDERS: { [K in keyof SidecarCases]: (chart: Chart, workload: kplus.AbstractPod, id: string, c: SidecarCase<K>) => void } = {
  'generic': (chart, workload, id, s) => {
    new Sidecar(chart, id, {
      workload,
      name: s.name,
      image: s.image,
      profile: PROFILES[s.profile],
      kind: s.kind,
      mode: s.mode,
      ports: s.ports.map(p => ({ number: p.number, name: p.name, protocol: p.udp ? kplus.Protocol.UDP : kplus.Protocol.TCP })),
      metrics: s.metrics,
      shutdownBudget: secondsOf(s.shutdownBudget),
      writablePaths: s.writablePaths,
      writableSizeLimit: s.writableSizeLimitMi === undefined ? undefined : Size.mebibytes(s.writableSizeLimitMi),
      sharedVolumes: s.shared.map((v, i) => ({
        volume: kplus.Volume.fromEmptyDir(chart, `${id}Vol${i}`, v.volume, {
          medium: v.memory ? kplus.EmptyDirMedium.MEMORY : undefined,
          sizeLimit: v.sizeLimitMi === undefined ? undefined : Size.mebibytes(v.sizeLimitMi),
        }),
        path: v.path,
        readOnly: v.readOnly,
        mountInApp: v.mountInApp,
        appPath: v.appPath,
        appReadOnly: v.appReadOnly,
      })),
      runOnce: s.runOnce,
      legacyJobInitContainer: s.legacyJobInitContainer,
      startRank: s.startRank,
      beforeInitContainers: s.beforeInitContainers,
      appContainers: s.appContainers,
      user: s.user,
      group: s.group,
      envVariables: s.env === undefined ? undefined : Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])),
      args: s.args,
      startupProbe: s.startupProbe ? kplus.Probe.fromHttpGet('/ready', { port: 8080 }) : undefined,
      preStop: s.preStop ? kplus.Handler.fromCommand(['sleep', '5']) : undefined,
      legacyStartupCommand: s.legacyStartupCommand ? ['/bin/wait-ready'] : undefined,
      resources: s.cpuOverride === undefined ? undefined : {
        cpu: {
          request: kplus.Cpu.millis(s.cpuOverride.request),
          limit: s.cpuOverride.limit === undefined ? undefined : kplus.Cpu.millis(s.cpuOverride.limit),
        },
      },
    });
  },
  'fluent-bit': (_chart, workload, id, s) => {
    const fb = new FluentBitSidecar(_chart, id, {
      workload,
      name: s.name,
      mode: s.mode,
      outputs: s.outputs.map(output),
      httpPort: s.httpPort,
      logDir: s.logDir,
      logVolumeName: s.logVolumeName,
      grace: secondsOf(s.grace),
      tag: s.tag,
      clusterName: s.clusterName,
      parseLogs: s.parseLogs,
      parsers: s.parsers,
      parser: s.parser,
      parseKey: s.parseKey,
      logFiles: s.logFiles,
      logLevel: s.logLevel,
      memBufLimit: s.memBufLimitMi === undefined ? undefined : Size.mebibytes(s.memBufLimitMi),
      readFromHead: s.readFromHead,
      readinessOnDelivery: s.readinessOnDelivery,
    });
    // One [PARSER] section per parser, next to the two built-in ones.
    const parsers = fb.parsersConf.split('\n').filter(l => l === '[PARSER]').length;
    if (parsers !== s.parsers.length + 2) throw new Error(`INVARIANT: ${parsers} [PARSER] sections for ${s.parsers.length} parsers:\n${fb.parsersConf}`);
    // One [OUTPUT] section per output: no user string added or removed one.
    const sections = fb.fluentBitConf.split('\n').filter(l => l === '[OUTPUT]').length;
    if (sections !== s.outputs.length) throw new Error(`INVARIANT: ${sections} [OUTPUT] sections for ${s.outputs.length} outputs:\n${fb.fluentBitConf}`);
  },
  'envoy': (_chart, workload, id, s) => {
    const envoy = new EnvoySidecar(_chart, id, {
      workload,
      name: s.name,
      mode: s.mode,
      appPort: s.appPort,
      upstreams: s.upstreams.map(u => ({
        ...u,
        connectTimeout: u.connectTimeoutMs === undefined ? undefined : Duration.millis(u.connectTimeoutMs),
      })),
      outboundPort: s.outboundPort,
      inboundPort: s.inboundPort,
      adminPort: s.adminPort,
      statsPort: s.statsPort,
      drainTime: secondsOf(s.drainTime),
      concurrency: s.concurrency,
      noProxy: s.noProxy,
    });
    // One cluster per upstream, next to the sidecar's own two: no user string added one.
    const clusters = parse(envoy.bootstrap).static_resources.clusters.length;
    if (clusters !== s.upstreams.length + 2) throw new Error(`INVARIANT: ${clusters} clusters for ${s.upstreams.length} upstreams:\n${envoy.bootstrap}`);
    if (s.expose) envoy.exposeViaService({ port: s.expose.port, name: s.expose.name });
  },
  'vault': (chart, workload, id, s) => {
    new VaultAgentSidecar(chart, id, {
      workload,
      name: s.name,
      mode: s.mode,
      ...vaultProps(chart, s),
      secretsPath: s.secretsPath,
      metricsPort: s.metricsPort,
      startRank: s.startRank,
      user: s.user,
      beforeInitContainers: s.beforeInitContainers,
      appContainers: s.appContainers,
      secretsSizeLimit: s.secretsSizeLimitMi === undefined ? undefined : Size.mebibytes(s.secretsSizeLimitMi),
    });
  },
  'injector': (chart, workload, id, s) => {
    new VaultAgentInjector(chart, id, {
      workload,
      ...vaultProps(chart, s),
      user: s.user,
      image: s.image,
    });
  },
};

function buildAlerts(chart: Chart, a: NonNullable<PodCase['alerts']>): void {
  new SidecarAlerts(chart, 'Alerts', {
    labels: a.labels,
    alertLabels: a.alertLabels,
    runbookBaseUrl: a.runbookBaseUrl,
    overrides: a.overrides === undefined ? undefined : Object.fromEntries(Object.entries(a.overrides).map(([k, o]) => [k, {
      ...o,
      pendingFor: secondsOf(o.pendingFor),
    }])),
    rules: a.rules.map(r => ({ ...r, pendingFor: secondsOf(r.pendingFor) })),
    podMonitor: a.podMonitor,
    evaluationInterval: secondsOf(a.evaluationInterval),
  });
}

interface Built {
  readonly app: App;
  readonly chart: Chart;
  readonly expectations: WorkloadExpectation[];
}

function build(c: PodCase): Built {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: c.namespace });
  const setDefault = () => {
    if (c.defaultMode !== undefined) Sidecar.setDefaultMode(c.defaultMode.on === 'app' ? app : chart, c.defaultMode.mode);
  };
  if (!c.defaultMode?.late) setDefault();
  const workload = buildWorkload(chart, c);
  const pod = PodSidecars.of(workload);
  if (c.appShutdown !== undefined) pod.declareAppShutdown(Duration.seconds(c.appShutdown));
  if (c.limit !== undefined) pod.limitTerminationGracePeriod(Duration.seconds(c.limit));
  c.sidecars.forEach((s, i) => (BUILDERS[s.type] as (...args: any[]) => void)(chart, workload, `s${i}`, s));
  if (c.defaultMode?.late) setDefault();
  const expectations = [{ workload, appShutdownSeconds: c.appShutdown ?? c.grace ?? 30 }];
  if (c.second !== undefined) {
    const second = new kplus.Deployment(chart, 'W2', {
      metadata: { namespace: c.second.namespace },
      containers: [{ name: 'app', image: 'other:v1.0.0', securityContext: { ensureNonRoot: false } }],
    });
    new Sidecar(chart, 'other', {
      workload: second,
      name: 'exporter',
      image: 'exporter:v1.0.0',
      kind: c.second.kind,
      ports: [{ number: 9102, name: 'metrics' }],
      metrics: { portName: 'metrics' },
    });
    expectations.push({ workload: second, appShutdownSeconds: 30 });
  }
  if (c.alerts !== undefined) buildAlerts(chart, c.alerts);
  return { app, chart, expectations };
}

/** Builds and synthesizes `c`: the violations found, or the error's verdict. */
async function check(c: PodCase): Promise<{ ok: boolean; failed?: string; violations: string[] }> {
  let built: Built;
  let manifests: any[];
  try {
    built = build(c);
    manifests = Testing.synth(built.chart);
  } catch (e) {
    const problem = notALibraryError(e);
    return { ok: false, failed: (e as Error).message, violations: problem === undefined ? [] : [problem] };
  }
  const sidecars = built.app.node.findAll().filter(Sidecar.isSidecar);
  return { ok: true, violations: await violations(manifests, sidecars, built.expectations) };
}

/** Runs the property over `runs` cases; returns how many synthesized. */
async function runProperty(wild: boolean, runs: number, hostile?: number): Promise<number> {
  let succeeded = 0;
  const reasons: string[] = [];
  await fc.assert(
    fc.asyncProperty(arbitraries(wild, hostile).pod, async c => {
      // WHEN the case is built and synthesized
      const result = await check(c);
      if (result.ok) succeeded++;
      if (process.env.PROPERTY_DEBUG && result.failed) {
        reasons.push(result.failed.replace(/^Validation failed with the following errors:\n {2}\[[^\]]*\] /, '').replace(/^[^:]*: /, '').slice(0, 70));
      }
      // THEN it holds every invariant, or the error is one of the library's own
      expect(result.violations).toEqual([]);
    }),
    { numRuns: runs },
  );
  if (process.env.PROPERTY_DEBUG) {
    const counts = new Map<string, number>();
    for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    // eslint-disable-next-line no-console
    console.log(`${succeeded}/${runs} synthesized\n${[...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} ${r}`).join('\n')}`);
  }
  return succeeded;
}

describe('random pods with random sidecars', () => {
  test('valid values in random combinations synthesize to valid objects that hold the invariants, or fail with a library error', async () => {
    // GIVEN random workloads, sidecars of every kind, modes, ports, names, budgets and alerts
    // WHEN / THEN (in runProperty)
    const succeeded = await runProperty(false, NUM_RUNS);
    // The property must exercise the happy path, not only the errors.
    expect(succeeded).toBeGreaterThan(NUM_RUNS / 8);
  }, TIMEOUT);

  test('wild values (bad names, ports, paths, durations, injection attempts) never crash', async () => {
    // GIVEN the same, with every field now and then invalid or hostile
    // WHEN / THEN (in runProperty)
    // Most of these cases fail (as they should) with a library error; the happy path is
    // the other two properties' job, so no minimum number of successes is asked here.
    await runProperty(true, NUM_RUNS);
  }, TIMEOUT);

  test('a hostile value now and then, deep in an otherwise plausible case, never crashes', async () => {
    // GIVEN the valid cases, with a hostile value in about one field of sixty, so
    // that it reaches the later checks and the rendered configs
    // WHEN / THEN (in runProperty)
    const succeeded = await runProperty(false, NUM_RUNS, 60);
    expect(succeeded).toBeGreaterThan(0);
  }, TIMEOUT);
});
