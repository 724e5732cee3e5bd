import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import { DigestLedger, isKubernetesEnvName, notALibraryError, promqlSyntaxError, violations, WorkloadExpectation } from './invariants';
import * as lib from '../../src';
import {
  AlertPack,
  AlertSeverity,
  AlertThresholdUnit,
  EnvoyDnsType,
  EnvoyOutboundPolicy,
  EnvoyProtocol,
  EnvoySidecar,
  FluentBitLogLevel,
  FluentBitMultilineParser,
  FluentBitOutput,
  FluentBitParserFormat,
  FluentBitSidecar,
  GitSyncAuth,
  GitSyncSidecar,
  GitSyncSubmodules,
  PodSidecars,
  ReloaderSidecar,
  ReloadWebhookMethod,
  Sidecar,
  SidecarAlerts,
  SidecarMode,
  SidecarProfile,
  SidecarVolumeSource,
  SidecarVolumeWriters,
  StatsdExporterSidecar,
  OpenTelemetryCollectorSidecar,
  OtelAppProtocol,
  OtelExporter,
  OtelSignal,
  CloudSqlCredentials,
  CloudSqlIpType,
  CloudSqlProxySidecar,
  StatsdMapping,
  StatsdMappingAction,
  StatsdMatchType,
  StatsdMetricType,
  StatsdObserverType,
  VaultAgentInjector,
  VaultAgentSidecar,
  VaultCaCertificate,
  VaultAuthMethod,
  VaultClientCertificate,
  VaultGcpAuthType,
} from '../../src';
import { GENERIC_ALERT_PACK } from '../../src/alerts/generic-pack';
import { SidecarError } from '../../src/core/errors';
import { validateEnvoyBootstrap } from '../sidecars/envoy/envoy-schema';
import { podMetadata, podSpec } from '../util';

/**
 * Property-based tests: random workloads with random sidecars of every kind (the generic
 * `Sidecar` with volumes, config files and companions, and every named sidecar), on
 * every workload kind, in both modes, some created in a chart of another namespace,
 * with random ports, names, budgets and alert options. Each case either synthesizes
 * to objects that are valid against the upstream schemas and hold the invariants of
 * ./invariants.ts, or fails with one of the library's own errors. Cases are plain
 * data, so fast-check prints a failing one (and its seed) readably.
 *
 * One generator and one builder per sidecar kind: add a kind to `sidecars` in
 * arbitraries() and to BUILDERS (test/coverage.test.ts fails until every exported
 * sidecar class is named here). PROPERTY_RUNS=<n> runs more cases; PROPERTY_DEBUG=1
 * prints how many synthesized and why the others failed.
 */

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
// A few seconds per property on a quiet machine; room for a loaded CI runner with coverage.
const TIMEOUT = 120_000;

// ---------------------------------------------------------------------------
// Strings

/** Strings that try to break out of names, configs and expressions. */
const NASTY = [
  '', ' ', 'Bad_Name', 'UPPER', '-lead', 'trail-', 'a.b', 'é', 'a'.repeat(64),
  'a\nb', 'x"y', "it's", 'a b', '{{ .Data }}', '}}', '[OUTPUT]', '@INCLUDE /etc/passwd',
  '@SET a=b', '${HOME}', '%{x}', 'a,b', 'a=b', 'a#b', 'x"} or vector(1) #', 'a",container=~".*', 'a|b', '\\', '*',
];

/** Environment variable names the API server refuses, some of which look harmless. */
const BAD_ENV_NAMES = ['..', '.', '..HOME', '1A', 'A=B', 'A B', ''];

/** Names real users pick, so that sidecars, apps and volumes collide. */
/** Words YAML 1.1 (Envoy's yaml-cpp loader) reads as booleans or null when unquoted; all valid cluster names. */
const YAML11_WORDS = ['on', 'off', 'yes', 'no', 'y', 'n', 'true', 'null'];

const COMMON_NAMES = ['app', 'worker', 'envoy', 'fluent-bit', 'vault-agent', 'vault-agent-init', 'config-reloader', 'statsd-exporter', 'git-sync', 'sync', 'migrate', 'logs'];

/** Every alert pack a sidecar can bring: the generic one, and each named sidecar's (found by its ALERT_PACK). */
const PACKS: AlertPack[] = [GENERIC_ALERT_PACK, ...Object.values(lib)
  .map((x: any) => x?.ALERT_PACK)
  .filter((p): p is AlertPack => p instanceof AlertPack)];
const ALERT_NAMES = [...new Set(PACKS.flatMap(p => p.alertNames))];
/** The generated alerts with a threshold, and what it counts. */
const THRESHOLD_UNITS = new Map(PACKS.flatMap(p => p._definitions)
  .filter(d => d.threshold !== undefined)
  .map(d => [d.alert, d.threshold!.unit]));

/** Ports the named sidecars and the apps use, so that they collide. */
const SIDECAR_PORTS = [15000, 15001, 15006, 15090, 2020, 8201, 8080, 80, 9102, 9125, 9533, 5432, 9801, 9422];

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
    fc.constantFrom('/tmp', '/data', '/var/log/app', '/cache', '/vault/secrets', '/vault/config', '/etc/envoy', '/fluent-bit/etc', '/etc/config', '/shared/x'),
    fc.constantFrom('relative', '/a/../b', '/x\ny', '/', ''),
  );
  /** A value that lands in a generated config: plain, or an injection attempt. */
  const confValue = bad(fc.stringMatching(wild ? /^[a-z][a-z0-9._-]{0,10}$/ : /^[a-z][a-z0-9_]{0,10}$/), nasty);
  const envName = (...valid: string[]) => bad(fc.constantFrom(...valid), fc.oneof(nasty, fc.constantFrom(...BAD_ENV_NAMES)));
  const host = bad(
    fc.constantFrom('fluentd.logging', 'payments.production.svc.cluster.local', '10.0.0.7', 'localhost', 'es'),
    fc.oneof(nasty, fc.constantFrom('256.1.1.1', '1.2.3', 'a..b', 'host:80')),
  );
  /** Names of the app's own volumes and of the sidecars', so that they collide. */
  const volumeName = fc.constantFrom('data', 'shared', 'app-logs', 'cache', 'envoy-config', 'fluent-bit-config', 'vault-agent-secrets', 'vault-agent-sa-token', 'watch-configmap-app-config');

  // Sidecar cases: one generator per kind.

  const generic = fc.record({
    type: fc.constant('generic' as const),
    name: opt(containerName),
    image: bad(
      fc.constantFrom('rclone/rclone:1.68.2', 'registry.local:5000/tools/sync:v1', 'busybox@sha256:abc'),
      fc.constantFrom('busybox', 'busybox:latest', '', 'registry.local:5000/sync'),
    ),
    profile: fc.constantFrom('LOG_COLLECTOR', 'SECRET_INJECTION', 'PROXY', 'METRICS_EXPORTER', 'CONFIG_RELOAD', 'DATA_SYNC'),
    kind: opt(fc.constantFrom('rclone', 'exporter', 'envoy', 'fluent-bit')),
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
    volumes: fc.array(fc.record({
      name: bad(volumeName, nasty),
      source: fc.constantFrom('emptyDir', 'memory', 'configMap', 'secret', 'token'),
      /** For a ConfigMap or Secret: one defined in the app (in the workload's chart), or imported by name. */
      defined: fc.boolean(),
      sizeLimitMi: opt(fc.integer({ min: 1, max: 256 })),
      path,
      readOnly: opt(fc.boolean()),
      appPath: opt(path),
      appReadOnly: opt(fc.boolean()),
      reuse: opt(fc.boolean()),
      writers: opt(bad(fc.constantFrom(...Object.values(SidecarVolumeWriters)), fc.constant('NOBODY' as SidecarVolumeWriters))),
      mustSeeUpdates: opt(fc.boolean()),
    }).map(v => (v.source === 'token' ? { ...v, appPath: undefined } : v)), { maxLength: 3 }),
    configFiles: opt(fc.dictionary(
      bad(fc.constantFrom('rclone.conf', 'filters.txt', 'sync.json'), fc.oneof(nasty, fc.constantFrom('../x', 'a/b'))),
      fc.constantFrom('', 'same', '[remote]\ntype = s3\n', '{"a": 1}', 'x'.repeat(100)),
      { minKeys: 1, maxKeys: 2 },
    )),
    configDir: opt(path),
    companions: fc.array(fc.record({
      name: bad(fc.constantFrom('setup', 'sync-init', 'prefetch'), fc.oneof(nasty, fc.constantFrom('migrate', 'app'))),
      command: opt(fc.constant(['/bin/prefetch', '--once'])),
    }), { maxLength: 2 }),
    alertPack: opt(fc.record({
      name: bad(fc.constantFrom('rclone', 'sync'), fc.oneof(nasty, fc.constantFrom('containers', 'envoy'))),
      alert: bad(fc.constantFrom('RcloneErrors', 'SyncStalled'), fc.oneof(nasty, fc.constant('SidecarOOMKilled'))),
      expr: bad(fc.constantFrom('increase(rclone_errors_total{$sidecar}[10m]) > 0', 'time() - sync_last_success_timestamp_seconds{$sidecar} > 3600'),
        fc.constantFrom('up == 0', 'sum(x{$sidecar}', '', 'x{$sidecar} or')),
    })),
    runOnce: opt(fc.boolean()),
    legacyJobInitContainer: opt(fc.boolean()),
    startRank: opt(bad(fc.oneof(fc.constantFrom(100, 200, 300, 400), fc.integer({ min: -5, max: 1000 })), fc.constant(Number.NaN))),
    beforeInitContainers: opt(fc.boolean()),
    appContainers: opt(fc.array(bad(fc.constantFrom('app', 'worker', 'migrate'), fc.constant('nope')), { maxLength: 2 })),
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constantFrom(0, -1, 1.5))),
    group: opt(bad(fc.integer({ min: 0, max: 70000 }), fc.constant(-1))),
    env: opt(fc.dictionary(envName('MODE', 'LOG_LEVEL', 'HTTP_PROXY', 'my.env-name'), confValue, { maxKeys: 2 })),
    appEnv: opt(fc.dictionary(envName('SYNC_DIR', 'SYNC_ADDR'), confValue, { maxKeys: 2 })),
    args: opt(fc.array(fc.oneof(confValue, fc.constantFrom(...NASTY)), { maxLength: 3 })),
    startup: fc.boolean(),
    preStop: fc.boolean(),
    startupCommand: fc.boolean(),
    stopWithApp: fc.boolean(),
    cpuOverride: opt(bad(
      fc.integer({ min: 1, max: 1000 }).chain(request => fc.record({
        request: fc.constant(request),
        limit: opt(fc.integer({ min: request, max: 2000 })),
      })),
      fc.record({ request: fc.integer({ min: 0, max: 1000 }), limit: opt(fc.integer({ min: 0, max: 1000 })) }),
    )),
  }).map(g => (wild || g.metrics === undefined || g.ports.some(p => p.name === g.metrics!.portName) ? g : { ...g, metrics: undefined }));

  const outputCase = fc.record({
    plugin: fc.constantFrom('forward', 'stdout', 'es', 'loki', 'http', 'otel', 'cloudwatch', 's3', 'custom'),
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
    metricsPort: opt(port),
    logDir: opt(wild ? path : fc.constantFrom('/var/log/app', '/logs', '/data/logs')),
    logVolumeName: opt(bad(fc.constantFrom('app-logs', 'shared', 'cache'), nasty)),
    logSizeLimitMi: opt(bad(fc.integer({ min: 1, max: 1024 }), fc.constant(0))),
    drainTime: opt(bad(fc.integer({ min: 1, max: 30 }), fc.constantFrom(0, 1.5))),
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
    multiline: fc.uniqueArray(fc.oneof(
      fc.constantFrom('JAVA', 'GO', 'PYTHON', 'DOCKER', 'CRI'),
      fc.record({
        name: bad(fc.constantFrom('app_ml', 'trace'), fc.oneof(nasty, fc.constantFrom('java', 'go'))),
        startRegex: bad(fc.constantFrom('^\\d{4}-', '^[A-Z][a-z]+ '), fc.oneof(nasty, fc.constantFrom('(', '[a-', 'x\\'))),
        regex: bad(fc.constantFrom('^\\s+at ', '^\\s'), nasty),
        nextState: bad(fc.constant('cont'), fc.constantFrom('start', 'nowhere', 'a,b')),
      }),
    ), { maxLength: 2, selector: m => (typeof m === 'string' ? m.toLowerCase() : m.name) }),
  });

  const upstream = fc.record({
    name: bad(fc.oneof(fc.constantFrom('payments', 'orders'), fc.constantFrom(...YAML11_WORDS), fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}[a-z0-9]$/)), fc.oneof(nasty, fc.constantFrom('local_app', 'envoy_admin', 'dynamic_forward_proxy'))),
    // YAML 1.1 words as hosts: Envoy's loader reads them unquoted as booleans, numbers, null.
    host: fc.oneof({ weight: 4, arbitrary: host }, { weight: 1, arbitrary: fc.constantFrom('yes', 'on', 'n', '1e5', '0x1f', 'null', 'true') }),
    port: validPort,
    dnsType: opt(fc.constantFrom(...Object.values(EnvoyDnsType))),
    domains: opt(fc.array(bad(fc.oneof(host, fc.constantFrom('*.example.com', 'api:8080', 'N', 'off:8080')), fc.constant('api:99999')), { maxLength: 2 })),
    // Extreme durations: protobuf's largest Duration in milliseconds, and beyond it.
    connectTimeoutMs: opt(bad(fc.oneof(fc.integer({ min: 1, max: 10000 }), fc.constant(315_576_000_000_000)), fc.constantFrom(0, 0.5, 1e24))),
    requestTimeoutMs: opt(bad(fc.oneof(fc.integer({ min: 0, max: 60000 }), fc.constant(315_576_000_000_000)), fc.constantFrom(0.5, 1e24))),
    protocol: opt(fc.constantFrom(...Object.values(EnvoyProtocol))),
    tls: opt(fc.constant({})),
  });

  const envoy = fc.record({
    type: fc.constant('envoy' as const),
    name: opt(containerName),
    mode,
    appPort: wild ? port : fc.constantFrom(8080, 80, 3000, 9102),
    // Envoy forwards to a port an app container declares (APP_PORT_MISSING otherwise):
    // valid cases declare it on the first app container.
    declareAppPort: wild ? fc.boolean() : fc.constant(true),
    upstreams: wild
      ? fc.array(upstream, { maxLength: 3 })
      : fc.uniqueArray(upstream, { maxLength: 3, selector: u => u.host })
        .map(us => us.map((u, i) => ({
          ...u,
          // A YAML 1.1 word keeps its exact name (no other name is a bare word).
          name: i === 0 && YAML11_WORDS.includes(u.name) ? u.name : `${u.name}${i}`,
          domains: undefined,
          dnsType: u.dnsType === EnvoyDnsType.STATIC && !/^[0-9.]+$/.test(u.host) ? undefined : u.dnsType,
        }))),
    outboundPort: wild ? opt(port) : fc.constant(undefined),
    inboundPort: wild ? opt(port) : fc.constant(undefined),
    adminPort: wild ? opt(port) : fc.constant(undefined),
    metricsPort: wild ? opt(port) : fc.constant(undefined),
    drainTime: opt(seconds(30)),
    concurrency: opt(bad(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, 1.5))),
    outboundPolicy: opt(fc.constantFrom(...Object.values(EnvoyOutboundPolicy))),
    appProtocol: opt(fc.constantFrom(...Object.values(EnvoyProtocol))),
    accessLog: opt(fc.boolean()),
    noProxy: opt(fc.array(bad(fc.constantFrom('.svc', '10.0.0.0/8', 'example.com'), nasty), { maxLength: 2 })),
    expose: opt(fc.record({ port: opt(port), name: opt(label) })),
    ownPorts: wild ? fc.constant(undefined) : opt(fc.uniqueArray(validPort, { minLength: 4, maxLength: 4 })),
  }).map(e => (e.ownPorts === undefined ? e : {
    ...e,
    outboundPort: e.ownPorts[0],
    inboundPort: e.ownPorts[1],
    adminPort: e.ownPorts[2],
    metricsPort: e.ownPorts[3],
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
    // Issue #14: other auth methods, namespaces, TLS settings.
    authMethod: opt(fc.record({
      kind: bad(fc.constantFrom('jwt', 'approle', 'aws', 'gcp-gce', 'gcp-iam'), fc.constant('gcp-iam-no-account')),
      role: bad(fc.constantFrom('myapp', 'batch_role'), nasty),
      text: opt(bad(fc.constantFrom('eu-west-1', 'vault.example.com'), nasty)),
    })),
    namespace: opt(bad(fc.constantFrom('team-a', 'admin/team-a'), nasty)),
    tlsServerName: opt(bad(fc.constantFrom('vault.example.com', 'vault.vault.svc'), nasty)),
    insecureSkipTlsVerify: opt(fc.boolean()),
  };

  const vault = fc.record({
    type: fc.constant('vault' as const),
    name: opt(containerName),
    mode,
    ...vaultOptions,
    secretsDir: opt(bad(fc.constantFrom('/vault/secrets', '/run/secrets'), path)),
    metricsPort: opt(port),
    startRank: opt(fc.integer({ min: 0, max: 500 })),
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constant(0))),
    beforeInitContainers: opt(fc.boolean()),
    appContainers: opt(fc.array(bad(fc.constantFrom('app', 'worker', 'migrate'), fc.constant('nope')), { maxLength: 2 })),
    secretsSizeLimitMi: opt(fc.integer({ min: 1, max: 64 })),
    apiProxy: opt(fc.boolean()),
    agentPort: opt(port),
    webhookUrl: opt(bad(fc.constantFrom('http://127.0.0.1:8080/-/reload', 'http://localhost:9090/reload?all=1'), fc.oneof(nasty, fc.constantFrom('https://127.0.0.1/x', 'http://app.svc/x')))),
    certificates: opt(fc.array(fc.record({
      name: bad(fc.constantFrom('tls', 'client'), nasty),
      issuePath: bad(fc.constantFrom('pki/issue/myapp', 'pki_int/issue/web'), fc.oneof(nasty, fc.constant('pki/sign/x'))),
      commonName: bad(fc.constantFrom('myapp.production.svc', '*.example.com'), nasty),
      ipSans: opt(fc.array(bad(fc.constant('10.0.0.12'), nasty), { maxLength: 1 })),
    }), { maxLength: 2 })),
    clientCertificate: opt(fc.record({ cert: opt(bad(fc.constant('tls.crt'), nasty)), key: opt(bad(fc.constant('tls.key'), nasty)) })),
  });

  const injector = fc.record({
    type: fc.constant('injector' as const),
    ...vaultOptions,
    user: opt(bad(fc.integer({ min: 1, max: 70000 }), fc.constant(0))),
    image: opt(bad(fc.constant('hashicorp/vault:1.19.0'), fc.constant('vault:latest'))),
  });

  /** A ConfigMap or Secret the reloader watches: defined in the app (in the workload's namespace, or another), or imported by name. */
  const watched = fc.record({
    name: bad(fc.constantFrom('app-config', 'feature-flags', 'tls.bundle'), fc.oneof(nasty, fc.constant('UPPER.case'))),
    defined: fc.boolean(),
    namespace: opt(fc.constantFrom('production', 'batch')),
  });
  const watchedList = wild
    ? fc.array(watched, { maxLength: 2 })
    : fc.uniqueArray(watched, { maxLength: 2, selector: w => w.name });

  const reloader = fc.record({
    type: fc.constant('reloader' as const),
    name: opt(containerName),
    mode,
    webhookUrl: bad(
      fc.constantFrom('http://127.0.0.1:8080/-/reload', 'https://localhost:9090/reload?now=1'),
      fc.oneof(nasty, fc.constantFrom('ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/reload', '/-/reload', 'http://a b/')),
    ),
    configMaps: watchedList,
    secrets: watchedList,
    configMapsDir: opt(bad(fc.constantFrom('/etc/config', '/config'), path)),
    secretsDir: opt(bad(fc.constantFrom('/etc/secrets', '/secrets'), path)),
    webhookMethod: opt(bad(fc.constantFrom(...Object.values(ReloadWebhookMethod)), fc.constant('DELETE' as ReloadWebhookMethod))),
    webhookStatusCode: opt(bad(fc.constantFrom(200, 204), fc.constantFrom(99, 600, 1.5))),
    webhookRetries: opt(bad(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, 101))),
    metricsPort: opt(port),
    appContainers: opt(fc.array(bad(fc.constantFrom('app', 'worker', 'migrate'), fc.constant('nope')), { maxLength: 2 })),
  }).map(r => (wild || r.configMaps.length + r.secrets.length > 0 ? r : { ...r, configMaps: [{ name: 'app-config', defined: false, namespace: undefined }] }));

  /** Mapping rules: coherent ones (match type, captures and buckets that fit), each field now and then hostile. */
  const mapping = fc.record({
    rule: fc.constantFrom(
      { match: 'myapp.*.requests', name: 'myapp_requests_total', labels: { route: '$1' }, matchMetricType: StatsdMetricType.COUNTER },
      { match: 'myapp.*.*.latency', name: 'myapp_latency_seconds', labels: { service: '$1', method: '${2}' }, observerType: StatsdObserverType.HISTOGRAM, histogramBuckets: [0.01, 0.1, 1] },
      { match: '^myapp\\.db\\.(\\w+)$', matchType: StatsdMatchType.REGEX, name: 'myapp_db_$1', labels: { whole: '$0' } },
      { match: 'debug.*', action: StatsdMappingAction.DROP },
    ),
    match: opt(bad(fc.constant(undefined), fc.oneof(nasty, fc.constantFrom('a..b', 'a.b*c', '(unclosed', 'x\\')))),
    name: opt(bad(fc.constant(undefined), fc.oneof(nasty, fc.constant('1abc')))),
    matchType: opt(bad(fc.constant(undefined), fc.constantFrom(...Object.values(StatsdMatchType)))),
    extraLabel: opt(bad(fc.constant(undefined), fc.record({ name: fc.oneof(nasty, fc.constantFrom('__name__', 'x')), value: fc.oneof(nasty, fc.constantFrom('$9', 'static')) }))),
    histogramBuckets: opt(bad(fc.constant(undefined), fc.constantFrom([1, 0.5], [], [Number.NaN]))),
    help: opt(fc.oneof(confValue, fc.constantFrom('Requests: "all"\nper route'))),
    ttl: opt(seconds(600)),
    honorLabels: opt(fc.boolean()),
  }).map(({ rule, extraLabel, ttl, ...m }) => ({
    mapping: {
      ...rule,
      ...Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)),
      ...(extraLabel === undefined ? {} : { labels: { ...(rule as { labels?: object }).labels, [extraLabel.name]: extraLabel.value } }),
    } as Omit<StatsdMapping, 'ttl'>,
    ttl,
  }));

  const statsd = fc.record({
    type: fc.constant('statsd' as const),
    name: opt(containerName),
    mode,
    mappings: fc.array(mapping, { maxLength: 3 }),
    statsdPort: opt(port),
    tcp: opt(fc.boolean()),
    metricsPort: opt(port),
    hostEnvName: opt(envName('STATSD_HOST', 'statsd.host')),
    portEnvName: opt(envName('STATSD_PORT', 'statsd-port')),
    statsdAddress: opt(bad(fc.constantFrom('127.0.0.1', '0.0.0.0', '::1', '::'), fc.oneof(nasty, fc.constant('10.0.0.5')))),
  });

  /** A Cloud SQL instance: a connection name that may try to add an argument or a query param. */
  const cloudSqlInstance = fc.record({
    connectionName: bad(
      fc.constantFrom('shop-prod:europe-west1:orders', 'shop-prod:europe-west1:reports', 'example.com:shop-audit:us-central1:audit-db'),
      fc.oneof(nasty, fc.constantFrom('shop:europe-west1:orders', 'shop-prod:orders', 'shop-prod:europe-west1:orders?port=1', 'shop-prod:europe-west1:orders --debug')),
    ),
    port: wild ? port : fc.constantFrom(5432, 5433, 3306, 1433),
    ipType: opt(bad(fc.constantFrom(...Object.values(CloudSqlIpType)), fc.constant('VPN' as CloudSqlIpType))),
    autoIamAuthn: opt(fc.boolean()),
    hostEnvName: opt(envName('DB_HOST', 'ORDERS_HOST', 'db.host')),
    portEnvName: opt(envName('DB_PORT', 'ORDERS_PORT', 'db-port')),
  });

  const cloudSql = fc.record({
    type: fc.constant('cloud-sql' as const),
    name: opt(containerName),
    mode,
    // Valid cases give each instance its own port and variables (collisions are the wild cases').
    instances: wild
      ? fc.array(cloudSqlInstance, { maxLength: 3 })
      : fc.uniqueArray(cloudSqlInstance, { minLength: 1, maxLength: 3, selector: i => i.connectionName })
        .map(list => list.map((inst, i) => ({
          ...inst,
          port: inst.port + 10 * i,
          hostEnvName: inst.hostEnvName === undefined ? undefined : `${inst.hostEnvName}_${i}`,
          portEnvName: inst.portEnvName === undefined ? undefined : `${inst.portEnvName}_${i}`,
        }))),
    ipType: opt(bad(fc.constantFrom(...Object.values(CloudSqlIpType)), fc.constant('private' as CloudSqlIpType))),
    autoIamAuthn: opt(fc.boolean()),
    keyFile: opt(fc.record({ key: opt(bad(fc.constantFrom('credentials.json', 'sa.json'), fc.constantFrom('../x', '', 'a/b'))) })),
    impersonateServiceAccount: opt(bad(fc.constant('db-client@shop-prod.iam.gserviceaccount.com'), fc.oneof(nasty, fc.constant('a@p.iam.gserviceaccount.com,b@p.iam.gserviceaccount.com')))),
    metricsPort: opt(port),
    drainTime: opt(seconds(60)),
    acceptAfterSigterm: opt(seconds(30)),
    startupTimeout: opt(bad(fc.integer({ min: 1, max: 120 }), fc.constant(0))),
    maxConnections: opt(bad(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0, 1.5))),
    structuredLogs: opt(fc.boolean()),
    connectionTest: opt(fc.boolean()),
  });

  /** git-sync: repositories with the credentials they need, refs, links and periods; wild: URLs with credentials, plain http, refs that are options, auth that does not fit. */
  const gitSync = fc.record({
    type: fc.constant('git-sync' as const),
    name: opt(containerName),
    mode,
    repo: bad(
      fc.constantFrom('https://github.com/example/dags.git', 'git@github.com:example/dags.git', 'ssh://git@gitlab.local:2222/team/rules.git'),
      fc.oneof(nasty, fc.constantFrom('http://git.local/x.git', 'https://u:p@github.com/x.git', '--upload-pack=x', 'file:///x', 'ssh:///x')),
    ),
    // Valid cases: SSH URLs always with their key, https with a token or none; wild cases
    // now and then with credentials that do not fit the URL.
    credentials: fc.boolean(),
    mismatch: bad(fc.constant(false), fc.constant(true)),
    secret: fc.record({ name: fc.constantFrom('git-creds', 'deploy-key'), defined: fc.boolean(), namespace: opt(fc.constantFrom('production', 'batch')) }),
    username: bad(fc.constantFrom('x-access-token', 'bot'), fc.oneof(nasty, fc.constant('a:b'))),
    secretKey: opt(bad(fc.constantFrom('token', 'id_ed25519'), fc.constantFrom('a/b', '', '..'))),
    ref: opt(bad(fc.constantFrom('main', 'release/v2', 'v1.2.0', 'HEAD', '0123456789abcdef0123456789abcdef01234567'), fc.oneof(nasty, fc.constantFrom('a..b', '-x', 'x.lock')))),
    period: opt(bad(fc.integer({ min: 1, max: 3600 }), fc.constantFrom(0, 0.5))),
    depth: opt(bad(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 1.5))),
    contentDir: opt(bad(fc.constantFrom('/git', '/opt/airflow/dags', '/srv/content'), path)),
    link: opt(bad(fc.constantFrom('current', 'repo', 'dags'), fc.oneof(nasty, fc.constantFrom('.git', 'tmp-link', 'a/b')))),
    contentSizeLimitMi: opt(bad(fc.integer({ min: 1, max: 4096 }), fc.constant(0))),
    webhookUrl: fc.option(bad(fc.constant('http://127.0.0.1:8080/-/reload'), fc.oneof(nasty, fc.constantFrom('ftp://x/', 'http://u:p@127.0.0.1/'))), { nil: undefined, freq: 1 }),
    metricsPort: opt(port),
    oneTime: fc.option(fc.boolean(), { nil: undefined, freq: 1 }),
    maxFailures: opt(bad(fc.integer({ min: -1, max: 10 }), fc.constant(-2))),
    user: fc.option(bad(fc.constantFrom(65533, 1000), fc.constant(0)), { nil: undefined, freq: 1 }),
  });

  /**
   * OpenTelemetry Collector: exporters of every type, with plain and Secret headers, TLS and
   * signals that fit the type; wild: endpoints of the wrong shape or with credentials,
   * credentials in plain headers, names and values that try to break out of the YAML.
   */
  const otelExporter = fc.record({
    type: fc.constantFrom('otlpGrpc', 'otlpHttp', 'prw', 'debug'),
    name: opt(bad(fc.constantFrom('gateway', 'backup', 'local'), fc.oneof(nasty, fc.constant('A B')))),
    // Valid cases get an endpoint of their type's shape (the builder picks it).
    endpoint: opt(bad(fc.constant(undefined), fc.oneof(nasty, fc.constantFrom('https://u:p@x.example.com', 'ftp://x.example.com', 'gateway', 'x:70000', 'https://x.example.com/$' + '{env:HOME}')))),
    header: opt(confValue),
    credentialInHeaders: bad(fc.constant(false), fc.constant(true)),
    secretHeader: fc.boolean(),
    tls: fc.constantFrom('none', 'plaintext', 'ca', 'mtls'),
    timeout: opt(bad(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, 1.5, 30))),
    signals: opt(fc.subarray([OtelSignal.TRACES, OtelSignal.METRICS, OtelSignal.LOGS], { minLength: wild ? 0 : 1 })),
    queueSize: opt(bad(fc.integer({ min: 1, max: 10000 }), fc.constantFrom(0, 1.5))),
  });

  const otel = fc.record({
    type: fc.constant('otel' as const),
    name: opt(containerName),
    mode,
    exporters: fc.array(otelExporter, { minLength: wild ? 0 : 1, maxLength: 3 }),
    grpcPort: opt(port),
    httpPort: opt(port),
    metricsPort: opt(port),
    healthPort: opt(port),
    appMetricsPort: opt(port),
    appProtocol: opt(bad(fc.constantFrom(...Object.values(OtelAppProtocol)), fc.constant('http/json' as OtelAppProtocol))),
    endpointEnvName: opt(envName('OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_ENDPOINT')),
    attributes: fc.dictionary(bad(fc.constantFrom('deployment.environment.name', 'team', 'service.namespace'), fc.oneof(nasty, fc.constant('k8s.pod.name'))), confValue, { maxKeys: 2 }),
    batchSize: opt(bad(fc.integer({ min: 1, max: 20000 }), fc.constantFrom(0, 1.5))),
    drainTime: opt(bad(fc.integer({ min: 10, max: 60 }), fc.constantFrom(0, 1.5))),
    gateAppStart: opt(fc.boolean()),
    memoryLimitMi: opt(bad(fc.integer({ min: 64, max: 2048 }), fc.constant(48))),
  });

  /** One generator per sidecar kind. */
  const sidecars = { 'generic': generic, 'fluent-bit': fluentBit, envoy, vault, injector, reloader, statsd, 'cloud-sql': cloudSql, 'git-sync': gitSync, otel };

  // Valid cases override the alerts every sidecar has; others name an alert of a sidecar
  // kind that may be absent (ALERT_UNKNOWN).
  const override = fc.constantFrom(...(wild || hostile !== undefined ? ALERT_NAMES : GENERIC_ALERT_PACK.alertNames)).chain(alert => fc.record({
    alert: bad(fc.constant(alert), fc.constant('NoSuchAlert')),
    severity: opt(fc.constantFrom(...Object.values(AlertSeverity))),
    pendingFor: opt(seconds(3600)),
    // Valid cases give a threshold only to the alerts that have one, in its unit.
    threshold: !wild && !THRESHOLD_UNITS.has(alert) ? fc.constant(undefined) : opt(bad(
      THRESHOLD_UNITS.get(alert) === AlertThresholdUnit.RATIO
        ? fc.oneof(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.constantFrom(1, 0.1 + 0.2))
        : fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(1e21, 1e-7, 0.1 + 0.2)),
      fc.constantFrom(-1, Number.NaN, Infinity, 10),
    )),
    disabled: opt(fc.boolean()),
  }));

  const alerts = fc.record({
    labels: opt(fc.dictionary(bad(fc.constantFrom('release', 'team', 'example.com/owner'), nasty), bad(fc.constantFrom('prometheus', 'core'), nasty), { maxKeys: 2 })),
    alertLabels: opt(fc.dictionary(bad(fc.constantFrom('team', 'page'), fc.oneof(nasty, fc.constantFrom('severity', '__x'))), bad(fc.constantFrom('core', 'yes', 'a "quoted" {value}'), nasty), { maxKeys: 2 })),
    runbookBaseUrl: opt(bad(fc.constant('https://wiki.example.com/runbooks'), nasty)),
    overrides: fc.uniqueArray(override, { maxLength: 3, selector: o => o.alert }),
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
      volume: opt(volumeName),
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
    // Each sidecar, now and then created in another chart (of another namespace, or none):
    // its objects must still land in the workload's namespace.
    sidecars: fc.array(fc.record({
      sidecar: fc.oneof(...Object.entries(sidecars).map(([k, arbitrary]) => ({ weight: k === 'injector' ? 1 : 3, arbitrary }))),
      elsewhere: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }), { minLength: 1, maxLength: wild ? 4 : 3 }),
    elsewhereNamespace: opt(fc.constantFrom('production', 'batch', 'tools')),
    alerts: opt(alerts),
    // A second workload, in a namespace of its own, with a scraped sidecar: the alert
    // matchers then list several namespaces.
    second: opt(fc.record({
      namespace: bad(fc.constantFrom('batch', 'other'), nasty),
      kind: fc.constantFrom('exporter', 'rclone', 'envoy'),
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
  // Envoy forwards to the app: declare the port it forwards to on the first app container.
  const appPorts = c.sidecars.map(s => s.sidecar)
    .filter((s): s is SidecarCase<'envoy'> => s.type === 'envoy' && s.declareAppPort)
    .map(s => ({ number: s.appPort, udp: false }));
  // One volume per name: two app containers that name the same volume share it.
  const volumes = new Map<string, kplus.Volume>();
  const volume = (name: string) => volumes.get(name) ?? volumes.set(name, kplus.Volume.fromEmptyDir(chart, `AppVolume-${name}`, name)).get(name)!;
  const props = {
    containers: c.apps.map((a, i) => ({
      name: a.name,
      image: 'myapp:v1.0.0',
      volumeMounts: a.volume === undefined ? undefined : [{ path: '/own', volume: volume(a.volume) }],
      ports: [...a.ports, ...(i === 0 ? appPorts : [])]
        .filter((p, j, all) => all.findIndex(x => x.number === p.number) === j)
        .map(p => ({ number: p.number, protocol: p.udp ? kplus.Protocol.UDP : kplus.Protocol.TCP })),
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

const envOf = (env: { [name: string]: string } | undefined) =>
  (env === undefined ? undefined : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])));
const secondsOf = (s: number | undefined) => (s === undefined ? undefined : Duration.seconds(s));
const mebibytesOf = (mi: number | undefined) => (mi === undefined ? undefined : Size.mebibytes(mi));

function output(o: SidecarCase<'fluent-bit'>['outputs'][number]): FluentBitOutput {
  const common = { name: o.name, match: o.match, retryLimit: o.retryLimit };
  const auth = o.auth ? { user: o.auth.user, password: kplus.EnvValue.fromValue('pw') } : undefined;
  switch (o.plugin) {
    case 'forward': return FluentBitOutput.forward({ ...common, host: o.host, port: o.port, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'stdout': return FluentBitOutput.stdout(common);
    case 'es': return FluentBitOutput.elasticsearch({ ...common, host: o.host, port: o.port, index: o.text, auth, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'loki': return FluentBitOutput.loki({ ...common, host: o.host, port: o.port, labels: o.map, tenantId: o.text, auth });
    case 'http': return FluentBitOutput.http({ ...common, host: o.host, port: o.port, uri: o.text === undefined ? undefined : `/${o.text}`, headers: o.map, auth, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'otel': return FluentBitOutput.openTelemetry({ ...common, host: o.host, port: o.port, logsUri: o.text === undefined ? undefined : `/${o.text}`, headers: o.map, auth, tls: o.tls, tlsVerify: o.tlsVerify });
    case 'cloudwatch': return FluentBitOutput.cloudWatchLogs({ ...common, region: 'eu-west-1', logGroupName: o.text ?? '/app/logs', endpoint: o.port === undefined ? undefined : `http://${o.host}:${o.port}` });
    case 's3': return FluentBitOutput.s3({ ...common, region: 'eu-central-1', bucket: o.text === undefined ? 'app-logs' : `logs-${o.text}`.replace(/_/g, '-'), endpoint: o.port === undefined ? undefined : `http://${o.host}:${o.port}` });
    default: return FluentBitOutput.custom({ ...common, plugin: o.text ?? 'kafka', properties: o.map });
  }
}

/** A unique construct id in `scope`. */
const idIn = (scope: Chart, prefix: string) => `${prefix}${scope.node.children.length}`;

function vaultProps(chart: Chart, v: SidecarCase<'vault'> | SidecarCase<'injector'>) {
  const ca = v.ca === undefined ? undefined : v.ca.from === 'secret'
    ? VaultCaCertificate.fromSecret(kplus.Secret.fromSecretName(chart, idIn(chart, 'CaSecret'), 'vault-ca'), v.ca.key)
    : VaultCaCertificate.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, idIn(chart, 'CaMap'), 'vault-ca'), v.ca.key);
  const m = v.authMethod;
  const authMethod = m === undefined ? undefined : ({
    'jwt': () => VaultAuthMethod.jwt({ role: m.role, tokenAudience: m.text ?? 'vault' }),
    'approle': () => VaultAuthMethod.appRole({
      roleIdSecret: kplus.Secret.fromSecretName(chart, idIn(chart, 'RoleId'), 'approle'),
      secretIdSecret: kplus.Secret.fromSecretName(chart, idIn(chart, 'SecretId'), 'approle'),
    }),
    'aws': () => VaultAuthMethod.aws({ role: m.role, region: m.text }),
    'gcp-gce': () => VaultAuthMethod.gcp({ role: m.role }),
    'gcp-iam': () => VaultAuthMethod.gcp({ role: m.role, type: VaultGcpAuthType.IAM, serviceAccount: 'myapp-sa@p-1234.iam.gserviceaccount.com' }),
    'gcp-iam-no-account': () => VaultAuthMethod.gcp({ role: m.role, type: VaultGcpAuthType.IAM }),
  } as { [kind: string]: () => VaultAuthMethod })[m.kind]();
  // TLS settings need an https address: a valid case gets one.
  const tls = ca !== undefined || v.tlsServerName !== undefined || v.insecureSkipTlsVerify || ('clientCertificate' in v && v.clientCertificate !== undefined);
  const address = tls && v.address === undefined ? 'https://vault.vault.svc:8200' : v.address;
  return {
    // With a method, its role stands for `role`.
    role: authMethod === undefined ? v.role : undefined,
    authMethod,
    secrets: v.secrets,
    address,
    caCertificate: ca,
    tokenAudience: authMethod === undefined ? v.tokenAudience : undefined,
    tokenExpiration: authMethod === undefined ? secondsOf(v.tokenExpiration) : undefined,
    namespace: v.namespace,
    tlsServerName: v.insecureSkipTlsVerify ? undefined : v.tlsServerName,
    insecureSkipTlsVerify: ca === undefined ? v.insecureSkipTlsVerify : undefined,
  };
}

/** The charts a case builds in: the workload's, and another one for sidecars created elsewhere. */
interface Charts {
  /** The workload's chart. */
  readonly home: Chart;
  /** The chart this sidecar is created in (the workload's, or the other one). */
  readonly here: Chart;
}

/** A ConfigMap the user defined (in `chart`, in `namespace` if given) or imported by name. */
function userConfigMap(chart: Chart, w: { name: string; defined: boolean; namespace?: string }): kplus.IConfigMap {
  return w.defined
    ? new kplus.ConfigMap(chart, idIn(chart, 'UserMap'), { metadata: { name: w.name, namespace: w.namespace }, data: { 'app.yaml': 'a: 1\n' } })
    : kplus.ConfigMap.fromConfigMapName(chart, idIn(chart, 'UserMapRef'), w.name);
}

function userSecret(chart: Chart, w: { name: string; defined: boolean; namespace?: string }): kplus.ISecret {
  return w.defined
    ? new kplus.Secret(chart, idIn(chart, 'UserSecret'), { metadata: { name: w.name, namespace: w.namespace }, stringData: { token: 'x' } })
    : kplus.Secret.fromSecretName(chart, idIn(chart, 'UserSecretRef'), w.name);
}

/**
 * One builder per sidecar kind: what the case asks for, in the library's API. A builder
 * may check what only it knows (that no user string added a section); its errors start
 * with INVARIANT, which is never a library error.
 */
const BUILDERS: { [K in keyof SidecarCases]: (charts: Charts, workload: kplus.AbstractPod, id: string, c: SidecarCase<K>) => void } = {
  'generic': ({ home, here }, workload, id, s) => {
    const source = (v: SidecarCase<'generic'>['volumes'][number]): SidecarVolumeSource => {
      const sizeLimit = mebibytesOf(v.sizeLimitMi);
      switch (v.source) {
        case 'emptyDir': return SidecarVolumeSource.emptyDir({ sizeLimit });
        case 'memory': return SidecarVolumeSource.emptyDir({ sizeLimit, memory: true });
        // The user's own objects are in the workload's chart, where the pod can mount them.
        case 'configMap': return SidecarVolumeSource.configMap(userConfigMap(home, { name: 'user-config', defined: v.defined }));
        case 'secret': return SidecarVolumeSource.secret(userSecret(home, { name: 'user-secret', defined: v.defined }));
        default: return SidecarVolumeSource.serviceAccountToken({ audience: 'sync' });
      }
    };
    const pack = s.alertPack === undefined ? undefined
      : AlertPack.custom(s.alertPack.name, [{ alert: s.alertPack.alert, expr: s.alertPack.expr, summary: 'The sync fails.' }]);
    new Sidecar(here, id, {
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
      writableSizeLimit: mebibytesOf(s.writableSizeLimitMi),
      volumes: s.volumes.map(v => ({
        name: v.name,
        source: source(v),
        path: v.path,
        readOnly: v.readOnly,
        appPath: v.appPath,
        appReadOnly: v.appReadOnly,
        reuse: v.reuse,
        writers: v.writers,
        mustSeeUpdates: v.mustSeeUpdates,
      })),
      configFiles: s.configFiles,
      configDir: s.configDir,
      companions: s.companions.map(c => ({ name: c.name, command: c.command && [...c.command] })),
      alertPack: pack,
      runOnce: s.runOnce,
      legacyJobInitContainer: s.legacyJobInitContainer,
      startRank: s.startRank,
      beforeInitContainers: s.beforeInitContainers,
      appContainers: s.appContainers,
      user: s.user,
      group: s.group,
      envVariables: envOf(s.env),
      appEnvVariables: envOf(s.appEnv),
      args: s.args,
      startup: s.startup ? kplus.Probe.fromHttpGet('/ready', { port: 8080 }) : undefined,
      preStop: s.preStop ? kplus.Handler.fromCommand(['sleep', '5']) : undefined,
      startupCommand: s.startupCommand ? ['/bin/wait-ready'] : undefined,
      // A spec has a preStop or a stop-with-app command, never both (PRE_STOP_CONFLICT, a unit test).
      stopWithAppCommand: s.stopWithApp && !s.preStop ? ['sh', '-c', 'kill -TERM 1'] : undefined,
      resources: s.cpuOverride === undefined ? undefined : {
        cpu: {
          request: kplus.Cpu.millis(s.cpuOverride.request),
          limit: s.cpuOverride.limit === undefined ? undefined : kplus.Cpu.millis(s.cpuOverride.limit),
        },
      },
    });
  },
  'fluent-bit': ({ here }, workload, id, s) => {
    const fb = new FluentBitSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      outputs: s.outputs.map(output),
      metricsPort: s.metricsPort,
      logDir: s.logDir,
      logVolumeName: s.logVolumeName,
      logSizeLimit: mebibytesOf(s.logSizeLimitMi),
      drainTime: secondsOf(s.drainTime),
      tag: s.tag,
      clusterName: s.clusterName,
      parseLogs: s.parseLogs,
      parsers: s.parsers,
      parser: s.parser,
      parseKey: s.parseKey,
      logFiles: s.logFiles,
      logLevel: s.logLevel,
      memBufLimit: mebibytesOf(s.memBufLimitMi),
      readFromHead: s.readFromHead,
      readinessOnDelivery: s.readinessOnDelivery,
      multiline: s.multiline.map(m => (typeof m === 'string'
        ? (FluentBitMultilineParser as any)[m] as FluentBitMultilineParser
        : FluentBitMultilineParser.custom({ name: m.name, startRegex: m.startRegex, continuationRules: [{ state: 'cont', regex: m.regex, nextState: m.nextState }] }))),
    });
    // fluent-bit.yaml, read as YAML (failsafe: every scalar a string, as Fluent Bit reads it):
    // one input, one output per output and one parser per parser next to the two built-in
    // ones, nothing else at the top level: no user string added or removed one.
    const text = fb.configMap!.data['fluent-bit.yaml'];
    const doc = parse(text, { schema: 'failsafe', uniqueKeys: true });
    const top = Object.keys(doc ?? {}).filter(k => k !== 'multiline_parsers');
    const outputs = doc?.pipeline?.outputs?.length;
    const inputs = doc?.pipeline?.inputs?.length;
    const parsers = doc?.parsers?.length;
    const multiline = doc?.multiline_parsers?.length ?? 0;
    const custom = s.multiline.filter(m => typeof m !== 'string').length;
    if (multiline !== custom) throw new Error(`INVARIANT: ${multiline} multiline parsers for ${custom} custom ones:\n${text}`);
    if (top.join(',') !== 'service,parsers,pipeline') throw new Error(`INVARIANT: top-level keys ${top.join(', ')}:\n${text}`);
    if (inputs !== 1) throw new Error(`INVARIANT: ${inputs} inputs:\n${text}`);
    if (outputs !== s.outputs.length) throw new Error(`INVARIANT: ${outputs} outputs for ${s.outputs.length} outputs:\n${text}`);
    if (parsers !== s.parsers.length + 2) throw new Error(`INVARIANT: ${parsers} parsers for ${s.parsers.length} parsers:\n${text}`);
  },
  'envoy': ({ here }, workload, id, s) => {
    const envoy = new EnvoySidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      appPort: s.appPort,
      upstreams: s.upstreams.map(u => ({
        ...u,
        connectTimeout: u.connectTimeoutMs === undefined ? undefined : Duration.millis(u.connectTimeoutMs),
        requestTimeout: u.requestTimeoutMs === undefined ? undefined : Duration.millis(u.requestTimeoutMs),
      })),
      outboundPolicy: s.outboundPolicy,
      appProtocol: s.appProtocol,
      accessLog: s.accessLog,
      outboundPort: s.outboundPort,
      inboundPort: s.inboundPort,
      adminPort: s.adminPort,
      metricsPort: s.metricsPort,
      drainTime: secondsOf(s.drainTime),
      concurrency: s.concurrency,
      noProxy: s.noProxy,
    });
    // One cluster per upstream, next to the sidecar's own two (three with the forward proxy): no user string added one.
    const clusters = parse(envoy.bootstrap).static_resources.clusters.length;
    const own = s.outboundPolicy === EnvoyOutboundPolicy.REGISTRY_ONLY ? 2 : 3;
    if (clusters !== s.upstreams.length + own) throw new Error(`INVARIANT: ${clusters} clusters for ${s.upstreams.length} upstreams:\n${envoy.bootstrap}`);
    // Envoy would load it: the strict oracle of its v3 API, read as YAML 1.1.
    validateEnvoyBootstrap(envoy.bootstrap);
    if (s.expose) envoy.exposeViaService({ port: s.expose.port, name: s.expose.name });
  },
  'vault': ({ here }, workload, id, s) => {
    new VaultAgentSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      ...vaultProps(here, s),
      secretsDir: s.secretsDir,
      metricsPort: s.metricsPort,
      startRank: s.startRank,
      user: s.user,
      beforeInitContainers: s.beforeInitContainers,
      appContainers: s.appContainers,
      secretsSizeLimit: mebibytesOf(s.secretsSizeLimitMi),
      apiProxy: s.apiProxy,
      agentPort: s.agentPort,
      webhookUrl: s.webhookUrl,
      certificates: s.certificates,
      clientCertificate: s.clientCertificate === undefined ? undefined
        : VaultClientCertificate.fromSecret(kplus.Secret.fromSecretName(here, idIn(here, 'ClientCert'), 'vault-client'), s.clientCertificate.cert, s.clientCertificate.key),
    });
  },
  'injector': ({ here }, workload, id, s) => {
    new VaultAgentInjector(here, id, {
      workload,
      ...vaultProps(here, s),
      user: s.user,
      image: s.image,
    });
  },
  'reloader': ({ here }, workload, id, s) => {
    const reloader = new ReloaderSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      webhookUrl: s.webhookUrl,
      // The user's objects are where the user put them: in the chart the reloader is in,
      // in the namespace they chose.
      configMaps: s.configMaps.map(w => userConfigMap(here, w)),
      secrets: s.secrets.map(w => userSecret(here, w)),
      configMapsDir: s.configMapsDir,
      secretsDir: s.secretsDir,
      webhookMethod: s.webhookMethod,
      webhookStatusCode: s.webhookStatusCode,
      webhookRetries: s.webhookRetries,
      metricsPort: s.metricsPort,
      appContainers: s.appContainers,
    });
    // One --volume-dir per watched object: no name added or removed one.
    const dirs = (reloader.container.args ?? []).filter(a => a.startsWith('--volume-dir=')).length;
    if (dirs !== s.configMaps.length + s.secrets.length) throw new Error(`INVARIANT: ${dirs} --volume-dir for ${s.configMaps.length + s.secrets.length} watched objects: ${reloader.container.args}`);
  },
  'cloud-sql': ({ home, here }, workload, id, s) => {
    const proxy = new CloudSqlProxySidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      instances: s.instances,
      ipType: s.ipType,
      autoIamAuthn: s.autoIamAuthn,
      // The user's Secret is where the pod can mount it: the workload's chart.
      credentials: s.keyFile === undefined ? undefined
        : CloudSqlCredentials.fromSecret(kplus.Secret.fromSecretName(home, idIn(home, 'SqlKey'), 'cloud-sql-key'), s.keyFile.key),
      impersonateServiceAccount: s.impersonateServiceAccount,
      metricsPort: s.metricsPort,
      drainTime: secondsOf(s.drainTime),
      acceptAfterSigterm: secondsOf(s.acceptAfterSigterm),
      startupTimeout: secondsOf(s.startupTimeout),
      maxConnections: s.maxConnections,
      structuredLogs: s.structuredLogs,
      connectionTest: s.connectionTest,
    });
    // One instance argument per instance, and only the proxy's own flags: no connection
    // name or env name added an argument or a query param.
    const args = proxy.container.args ?? [];
    const instances = args.filter(a => !a.startsWith('--'));
    if (instances.length !== s.instances.length || instances.some((a, i) => a.split('?')[0] !== s.instances[i].connectionName || /\s/.test(a))) {
      throw new Error(`INVARIANT: instance arguments ${JSON.stringify(instances)} for ${JSON.stringify(s.instances.map(i => i.connectionName))}`);
    }
  },
  'git-sync': ({ here }, workload, id, s) => {
    const ssh = !/^https?:/.test(s.repo);
    const useSsh = s.mismatch ? !ssh : ssh;
    // The Secret exists only where it is used: the user's, in the chart git-sync is in.
    const auth = !s.credentials && !ssh && !s.mismatch ? undefined
      : useSsh ? GitSyncAuth.ssh(userSecret(here, s.secret), { privateKeyKey: s.secretKey })
        : GitSyncAuth.password(userSecret(here, s.secret), { username: s.username, passwordKey: s.secretKey });
    const gitSync = new GitSyncSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      repo: s.repo,
      auth,
      ref: s.ref,
      period: secondsOf(s.period),
      depth: s.depth,
      // Derived, not drawn: a new draw would shift the seeded samples of every other kind.
      submodules: s.depth === 0 ? GitSyncSubmodules.OFF : undefined,
      contentDir: s.contentDir,
      link: s.link,
      contentSizeLimit: mebibytesOf(s.contentSizeLimitMi),
      webhookUrl: s.webhookUrl,
      metricsPort: s.metricsPort,
      oneTime: s.oneTime,
      maxFailures: s.maxFailures,
      user: s.user,
    });
    // Credentials never reach the arguments: only file paths under the Secret's mount.
    const args = gitSync.container.args ?? [];
    if (args.some(a => /^--(password|github-app-private-key)=/.test(a))) throw new Error(`INVARIANT: a credential in git-sync's arguments: ${args}`);
    // Exactly one of the two shapes: a one-time init step, or a server for probes and metrics.
    const oneTime = args.includes('--one-time');
    if (oneTime !== gitSync.oneTime || oneTime === args.some(a => a.startsWith('--http-bind='))) throw new Error(`INVARIANT: one-time ${gitSync.oneTime} with arguments ${args}`);
  },
  'otel': ({ here }, workload, id, s) => {
    const token = { secret: kplus.Secret.fromSecretName(here, idIn(here, 'OtelToken'), 'otel-token'), key: 'token' };
    const ca = kplus.Secret.fromSecretName(here, idIn(here, 'OtelCa'), 'otel-ca');
    const exporters = s.exporters.map(e => {
      const plaintext = e.tls === 'plaintext';
      const common = {
        name: e.name,
        headers: { ...(e.header === undefined ? {} : { 'X-Tenant': e.header }), ...(e.credentialInHeaders ? { Authorization: 'Bearer x' } : {}) },
        secretHeaders: e.secretHeader ? { authorization: token } : undefined,
        timeout: secondsOf(e.timeout),
      };
      const tls = e.tls === 'ca' ? { caSecret: ca } : e.tls === 'mtls' ? { caSecret: ca, clientCertificateSecret: ca } : undefined;
      switch (e.type) {
        case 'otlpGrpc': return OtelExporter.otlpGrpc({ ...common, endpoint: e.endpoint ?? 'otel-gateway.observability:4317', tls: plaintext ? { insecure: true } : tls, signals: e.signals, queueSize: e.queueSize });
        case 'otlpHttp': return OtelExporter.otlpHttp({ ...common, endpoint: e.endpoint ?? (plaintext ? 'http://10.0.0.7:4318' : 'https://otlp.example.com:4318'), tls, signals: e.signals, queueSize: e.queueSize });
        case 'prw': return OtelExporter.prometheusRemoteWrite({ ...common, endpoint: e.endpoint ?? (plaintext ? 'http://prometheus.monitoring:9090/api/v1/write' : 'https://prometheus.example.com/api/v1/write'), tls });
        default: return OtelExporter.debug({ name: e.name, signals: e.signals });
      }
    });
    const collector = new OpenTelemetryCollectorSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      exporters,
      grpcPort: s.grpcPort,
      httpPort: s.httpPort,
      metricsPort: s.metricsPort,
      healthPort: s.healthPort,
      appMetricsPort: s.appMetricsPort,
      appProtocol: s.appProtocol,
      endpointEnvName: s.endpointEnvName,
      resourceAttributes: s.attributes,
      batchSize: s.batchSize,
      drainTime: secondsOf(s.drainTime),
      gateAppStart: s.gateAppStart,
      resources: s.memoryLimitMi === undefined ? undefined : { memory: { limit: Size.mebibytes(s.memoryLimitMi) } },
    });
    // One exporter per exporter given, one attribute per attribute, only the sidecar's own
    // sections and pipelines: no user string added a key; no credential in the file.
    const config = parse(collector.config);
    const problems = [
      Object.keys(config).join() !== 'extensions,receivers,processors,exporters,service' && 'sections',
      Object.keys(config.exporters).length !== s.exporters.length && 'exporters',
      config.processors['resource/k8s'].attributes.length !== 4 + Object.keys(s.attributes).length && 'attributes',
      Object.keys(config.service.pipelines).some(p => !['traces', 'metrics', 'logs'].includes(p)) && 'pipelines',
      /Bearer/.test(collector.config) && 'a credential',
    ].filter(p => p);
    if (problems.length > 0) throw new Error(`INVARIANT: ${problems.join(', ')} of the collector config:\n${collector.config}`);
  },
  'statsd': ({ here }, workload, id, s) => {
    const exporter = new StatsdExporterSidecar(here, id, {
      workload,
      name: s.name,
      mode: s.mode,
      mappings: s.mappings.map(m => ({ ...m.mapping, ttl: secondsOf(m.ttl) })),
      statsdPort: s.statsdPort,
      tcp: s.tcp,
      metricsPort: s.metricsPort,
      hostEnvName: s.hostEnvName,
      portEnvName: s.portEnvName,
      statsdAddress: s.statsdAddress,
    });
    // One rule per mapping: no user string added one.
    const rules = exporter.configMap === undefined ? 0 : parse(exporter.configMap.data['mapping.yaml']).mappings.length;
    if (rules !== s.mappings.length) throw new Error(`INVARIANT: ${rules} mapping rules for ${s.mappings.length}:\n${exporter.configMap?.data['mapping.yaml']}`);
  },
};

function buildAlerts(chart: Chart, a: NonNullable<PodCase['alerts']>): void {
  new SidecarAlerts(chart, 'Alerts', {
    labels: a.labels,
    alertLabels: a.alertLabels,
    runbookBaseUrl: a.runbookBaseUrl,
    overrides: Object.fromEntries(a.overrides.map(({ alert, ...o }) => [alert, { ...o, pendingFor: secondsOf(o.pendingFor) }])),
    rules: a.rules.map(r => ({ ...r, pendingFor: secondsOf(r.pendingFor) })),
    podMonitor: a.podMonitor,
    evaluationInterval: secondsOf(a.evaluationInterval),
  });
}

interface Built {
  readonly app: App;
  readonly charts: Chart[];
  readonly expectations: WorkloadExpectation[];
}

function build(c: PodCase): Built {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: c.namespace });
  const elsewhere = new Chart(app, 'elsewhere', { namespace: c.elsewhereNamespace });
  const setDefault = () => {
    if (c.defaultMode !== undefined) Sidecar.setDefaultMode(c.defaultMode.on === 'app' ? app : chart, c.defaultMode.mode);
  };
  if (!c.defaultMode?.late) setDefault();
  const workload = buildWorkload(chart, c);
  const pod = PodSidecars.of(workload);
  if (c.appShutdown !== undefined) pod.declareAppShutdown(Duration.seconds(c.appShutdown));
  if (c.limit !== undefined) pod.limitTerminationGracePeriod(Duration.seconds(c.limit));
  c.sidecars.forEach(({ sidecar, elsewhere: away }, i) => {
    (BUILDERS[sidecar.type] as (...args: any[]) => void)({ home: chart, here: away ? elsewhere : chart }, workload, `s${i}`, sidecar);
  });
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
      configFiles: { 'exporter.yaml': 'port: 9102\n' },
    });
    expectations.push({ workload: second, appShutdownSeconds: 30 });
  }
  if (c.alerts !== undefined) buildAlerts(chart, c.alerts);
  return { app, charts: [chart, elsewhere], expectations };
}

/** Builds and synthesizes `c`: the violations found, or the error's verdict. */
async function check(c: PodCase, digests: DigestLedger): Promise<{ ok: boolean; failed?: string; violations: string[] }> {
  let built: Built;
  let manifests: any[];
  try {
    built = build(c);
    // Every chart (each validates the whole app first, as `cdk8s synth` does).
    manifests = built.charts.flatMap(chart => Testing.synth(chart));
  } catch (e) {
    const problem = notALibraryError(e);
    return { ok: false, failed: (e as Error).message, violations: problem === undefined ? [] : [problem] };
  }
  const sidecars = built.app.node.findAll().filter(Sidecar.isSidecar);
  return { ok: true, violations: await violations(manifests, sidecars, built.expectations, digests) };
}

/** Runs the property over `runs` cases; returns how many synthesized. */
async function runProperty(wild: boolean, runs: number, hostile?: number): Promise<number> {
  let succeeded = 0;
  const reasons: string[] = [];
  // Config digests are compared across the cases of the run: the same files in two
  // cases must give the same digest, different files different ones.
  const digests = new DigestLedger();
  await fc.assert(
    fc.asyncProperty(arbitraries(wild, hostile).pod, async c => {
      // WHEN the case is built and synthesized
      const result = await check(c, digests);
      if (result.ok) succeeded++;
      if (process.env.PROPERTY_DEBUG && result.failed) {
        reasons.push(result.failed.replace(/^Validation failed with the following errors:\n {2}\[[^\]]*\] /, '').replace(/^(\[\w+\]) [^:]*: .*/s, '$1').slice(0, 70));
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

  test('every sidecar kind synthesizes in some valid case, on every workload kind, in both modes', async () => {
    const { pod, sidecars } = arbitraries(false);
    const missing: string[] = [];
    for (const [type, sidecar] of Object.entries(sidecars)) {
      for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'] as const) {
        // The injector has no mode; LEGACY sidecars on Jobs are refused by design, but
        // Vault Agent's and git-sync's Job-safe forms.
        const modes = type === 'injector' ? [undefined] : ['Job', 'CronJob'].includes(kind) && !['vault', 'git-sync'].includes(type)
          ? [SidecarMode.NATIVE] : [SidecarMode.NATIVE, SidecarMode.LEGACY];
        for (const mode of modes) {
          // GIVEN valid cases with only this sidecar, on this workload kind, in this mode
          const cases = fc.sample(fc.tuple(pod, sidecar as fc.Arbitrary<any>).map(([c, s]): PodCase => ({
            ...c,
            kind,
            restartPolicy: kplus.RestartPolicy.ALWAYS,
            defaultMode: undefined,
            alerts: undefined,
            sidecars: [{ sidecar: mode === undefined ? s : { ...s, mode }, elsewhere: false }],
          })), { numRuns: 60, seed: 12 });
          // WHEN they are built, until one synthesizes
          const failures: string[] = [];
          for (const c of cases) {
            const result = await check(c, new DigestLedger());
            expect(result.violations).toEqual([]);
            if (result.ok) break;
            failures.push(result.failed!.slice(0, 160));
          }
          // THEN one of them did: the happy path of every combination is reached
          if (failures.length === cases.length) missing.push(`${type} on ${kind} (${mode}): ${failures.slice(0, 3).join(' | ')}`);
        }
      }
    }
    expect(missing).toEqual([]);
  }, TIMEOUT);
});

/**
 * Each invariant can fail: a valid app holds them all, and each tampering of its
 * manifests (or each wrong input) breaks exactly the invariant that guards it.
 */
describe('the invariants catch what they guard', () => {
  /** A valid app: a Deployment with Envoy and a StatsD exporter (both with config files) and alerts. */
  function validApp() {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const workload = new kplus.Deployment(chart, 'W', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }] });
    new EnvoySidecar(chart, 'proxy', { workload, appPort: 8080 });
    new StatsdExporterSidecar(chart, 'metrics', { workload, mappings: [{ match: 'myapp.*.requests', name: 'myapp_requests_total' }] });
    new SidecarAlerts(chart, 'alerts');
    const manifests = Testing.synth(chart);
    return { manifests, sidecars: app.node.findAll().filter(Sidecar.isSidecar), expectations: [{ workload, appShutdownSeconds: 30 }] };
  }
  const pick = (manifests: any[], kind: string) => manifests.find(m => m.kind === kind);

  async function violationsAfter(tamper: (manifests: any[]) => void, digests = new DigestLedger()): Promise<string[]> {
    const { manifests, sidecars, expectations } = validApp();
    tamper(manifests);
    return violations(manifests, sidecars, expectations, digests);
  }

  test('the valid app holds every invariant', async () => {
    // GIVEN / WHEN the valid app, untouched
    const found = await violationsAfter(() => undefined);
    // THEN nothing is reported
    expect(found).toEqual([]);
  });

  test('two mounts at one path in one container', async () => {
    // GIVEN the Envoy container mounting a second volume at its config path
    const found = await violationsAfter(m => {
      const envoy = podSpec(pick(m, 'Deployment')).initContainers.find((c: any) => c.name === 'envoy');
      envoy.volumeMounts.push({ ...envoy.volumeMounts[0], name: podSpec(pick(m, 'Deployment')).volumes[1].name });
    });
    // THEN the duplicate path is reported
    expect(found).toEqual([expect.stringMatching(/container 'envoy' mounts both '.*' and '.*' at '\/etc\/envoy'/)]);
  });

  test('a sidecar with config files and no rollout annotation, or a stray one', async () => {
    // GIVEN the pod template without Envoy's annotation, and with one of a sidecar that does not exist
    const found = await violationsAfter(m => {
      const annotations = podMetadata(pick(m, 'Deployment')).annotations;
      delete annotations['config.cdk8s-sidecars.io/envoy'];
      annotations['config.cdk8s-sidecars.io/ghost'] = 'abc';
    });
    // THEN both are reported
    expect(found).toEqual([
      expect.stringMatching(/sidecar 'envoy' has config files, and the pod annotation config.cdk8s-sidecars.io\/envoy is undefined/),
      expect.stringMatching(/the annotation config.cdk8s-sidecars.io\/ghost belongs to no sidecar/),
    ]);
  });

  test('one digest for two different config contents', async () => {
    // GIVEN the digests of the valid app, then the same app with Envoy's bootstrap changed but its digest kept
    const digests = new DigestLedger();
    expect(await violationsAfter(() => undefined, digests)).toEqual([]);
    const found = await violationsAfter(m => {
      const envoyConfig = m.find(x => x.kind === 'ConfigMap' && x.data?.['envoy.yaml'] !== undefined);
      envoyConfig.data['envoy.yaml'] += '# changed\n';
    }, digests);
    // THEN the shared digest is reported
    expect(found).toEqual([expect.stringMatching(/sidecar 'envoy': different config files share the digest/)]);
  });

  test('two digests for the same config contents', () => {
    // GIVEN a ledger that saw some files with one digest
    const digests = new DigestLedger();
    expect(digests.record({ 'a.yaml': 'x' }, 'd1')).toEqual([]);
    // WHEN the same files come with another digest, and other files with a known one
    // THEN both are reported, and the same pair again is not
    expect(digests.record({ 'a.yaml': 'x' }, 'd2')).toEqual([expect.stringMatching(/the same config files have the digests d1 and d2/)]);
    expect(digests.record({ 'b.yaml': 'x' }, 'd2')).toEqual([expect.stringMatching(/different config files share the digest d2/)]);
    expect(digests.record({ 'b.yaml': 'x' }, 'd2')).toEqual([]);
  });

  test('a mounted ConfigMap, or an object of a sidecar, in another namespace than the pod', async () => {
    // GIVEN Envoy's ConfigMap moved to another namespace
    const found = await violationsAfter(m => {
      m.find(x => x.kind === 'ConfigMap' && x.data?.['envoy.yaml'] !== undefined).metadata.namespace = 'elsewhere';
    });
    // THEN it is reported as a mounted ConfigMap, and as an object of the sidecar
    expect(found).toEqual([
      expect.stringMatching(/the pod \(namespace production\) mounts ConfigMap '.*', which is in namespace elsewhere/),
      expect.stringMatching(/ConfigMap '.*' of sidecar 'envoy' is in namespace elsewhere, not the pod's \(production\)/),
    ]);
  });

  test('environment variable names the API server refuses', async () => {
    // GIVEN Kubernetes' rule (IsEnvVarName), on names it accepts and refuses
    expect(['MY_ENV', 'my.env-name', '-x', '_', 'a..b'].filter(n => !isKubernetesEnvName(n))).toEqual([]);
    expect(['..', '.', '..a', '1A', 'A=B', 'A B', '', 'é'].filter(isKubernetesEnvName)).toEqual([]);
    // WHEN the app container gets a variable named '..HOME'
    const found = await violationsAfter(m => {
      podSpec(pick(m, 'Deployment')).containers[0].env.push({ name: '..HOME', value: 'x' });
    });
    // THEN it is reported
    expect(found).toEqual([expect.stringMatching(/container 'app' has the environment variable "\.\.HOME"/)]);
  });

  test('an alert expression that is not PromQL', async () => {
    // GIVEN Prometheus's grammar on valid and invalid expressions
    expect(promqlSyntaxError('sum by (pod) (rate(x[5m])) > 0')).toBeUndefined();
    expect(['', 'sum(', 'up{job="a"', 'foo bar'].map(promqlSyntaxError).filter(p => p === undefined)).toEqual([]);
    // WHEN a generated rule's expression is cut short
    const found = await violationsAfter(m => {
      pick(m, 'PrometheusRule').spec.groups[0].rules[0].expr = 'sum(';
    });
    // THEN it is reported
    expect(found).toEqual([expect.stringMatching(/does not parse as PromQL/)]);
  });

  test('errors that are not the library\'s', () => {
    // GIVEN errors of the library: a SidecarError, and cdk8s's validation error with library lines
    const chart = new Chart(Testing.app(), 'test');
    const workload = new kplus.Deployment(chart, 'W', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('nothing was thrown');
    };
    const argumentError = thrown(() => new Sidecar(chart, 'bad', { workload, name: 'Bad_Name', image: 'x:1' }));
    new EnvoySidecar(chart, 'proxy', { workload, appPort: 8080 });
    const validationError = thrown(() => Testing.synth(chart));
    expect([argumentError, validationError].map(notALibraryError)).toEqual([undefined, undefined]);
    expect((argumentError as Error).constructor).toBe(SidecarError);
    expect((validationError as Error).message).toMatch(/APP_PORT_MISSING/);
    // WHEN errors of other shapes are judged (the made-up ones built without their
    // constructor, so that test/catalogue/record.ts does not count their codes as raised)
    const made = (proto: object, message: string, code?: string) => Object.assign(Object.create(proto), { message, code, stack: message });
    const others = [
      new TypeError('Cannot read properties of null'),
      new RangeError('Invalid array length'),
      made(Error.prototype, "[X] workload 'test/W': problem. Fix: fix."),
      made(Error.prototype, "Validation failed with the following errors:\n  [test/W] workload 'test/W': no code. Fix: add one."),
      made(Error.prototype, "Validation failed with the following errors:\n  [test/W] [X] workload 'test/W': fine. Fix: ok.\n  [test/W] something else"),
      made(SidecarError.prototype, "[lower] workload 'test/W': p. Fix: f.", 'lower'),
      made(SidecarError.prototype, "[A] workload 'test/W': p. Fix: f.", 'B'),
      'a string',
    ];
    // THEN none is accepted
    expect(others.map(notALibraryError).filter(p => p === undefined)).toEqual([]);
  });
});
