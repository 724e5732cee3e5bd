import { Chart, Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CloudSqlCredentials, CloudSqlIpType, CloudSqlProxySidecar, CloudSqlProxySidecarProps, PodSidecars, SidecarAlerts, SidecarMode,
  SidecarPlacement, SidecarProfile,
} from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import { cloudSqlProxySpec, DEFAULT_NAME } from '../../../src/sidecars/cloud-sql-proxy/spec';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment, pureSpec } from '../../util';

const WHO = 'workload \'test/web\', sidecar \'cloud-sql-proxy\'';
const ORDERS = 'shop-prod:europe-west1:orders';
const REPORTS = 'shop-prod:europe-west1:reports';
const AUDIT = 'example.com:shop-audit:us-central1:audit-db';

/**
 * The proxy's command line as v2.25.3 defines it (GoogleCloudPlatform/cloud-sql-proxy at
 * the tag, cmd/root.go), written down here from the upstream source, not from the library:
 * each flag, the line that registers it, and whether it takes a value. `wait` flags are
 * the subcommand's own (root.go:467) and the global --http-address/--http-port (556, 558).
 */
const UPSTREAM_FLAGS: { [flag: string]: { line: number; value: 'bool' | 'string' | 'int' | 'duration' } } = {
  'credentials-file': { line: 520, value: 'string' },
  'structured-logs': { line: 530, value: 'bool' },
  'max-connections': { line: 534, value: 'int' },
  'min-sigterm-delay': { line: 536, value: 'duration' },
  'max-sigterm-delay': { line: 538, value: 'duration' },
  'exit-zero-on-sigterm': { line: 550, value: 'bool' },
  'prometheus': { line: 552, value: 'bool' },
  'http-address': { line: 556, value: 'string' },
  'http-port': { line: 558, value: 'string' },
  'health-check': { line: 566, value: 'bool' },
  'impersonate-service-account': { line: 582, value: 'string' },
  'run-connection-test': { line: 603, value: 'bool' },
  'address': { line: 612, value: 'string' },
  'auto-iam-authn': { line: 618, value: 'bool' },
  'private-ip': { line: 620, value: 'bool' },
  'psc': { line: 622, value: 'bool' },
};
const WAIT_FLAGS: typeof UPSTREAM_FLAGS = {
  'max': { line: 467, value: 'duration' },
  'http-address': { line: 556, value: 'string' },
  'http-port': { line: 558, value: 'string' },
};
/** The per-instance query params the proxy reads (cmd/root.go:931-1025), with their values. */
const UPSTREAM_PARAMS: { [param: string]: RegExp } = {
  'port': /^[0-9]+$/, // strconv.Atoi, root.go:970
  'auto-iam-authn': /^(true|t|false|f|)$/i, // parseBoolOpt, root.go:1049-1053
  'private-ip': /^(true|t|false|f|)$/i,
  'psc': /^(true|t|false|f|)$/i,
};
/** The Go connector's own parse of a connection name (cloudsqlconn instance/conn_name.go:29), anchored. */
const CONNECTOR_CONN_NAME = /^([^:]+(:[^:]+)?):([^:]+):([^:]+)$/;

/**
 * Reads a command line the way cobra/pflag does for the proxy: `--flag` for a bool,
 * `--flag=value` otherwise; other arguments are instance connection names with optional
 * query params. Throws on anything the proxy would refuse.
 */
function parseCommandLine(args: string[], flags = UPSTREAM_FLAGS) {
  const given: { [flag: string]: string | true } = {};
  const instances: Array<{ name: string; params: { [k: string]: string } }> = [];
  for (const arg of args) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (flag) {
      const [, name, value] = flag;
      const def = flags[name];
      if (def === undefined) throw new Error(`--${name} is no flag of cloud-sql-proxy v2.25.3`);
      if (name in given) throw new Error(`--${name} given twice`);
      if (def.value === 'bool' && value !== undefined) throw new Error(`--${name} is a bool flag, given '${value}'`);
      if (def.value !== 'bool' && value === undefined) throw new Error(`--${name} needs a value`);
      if (def.value === 'duration' && !/^[0-9]+(ns|us|ms|s|m|h)$/.test(value)) throw new Error(`--${name}=${value} is not a Go duration`);
      if (def.value === 'int' && !/^[0-9]+$/.test(value)) throw new Error(`--${name}=${value} is not an integer`);
      given[name] = value ?? true;
      continue;
    }
    const [name, query] = arg.split('?', 2);
    if (!CONNECTOR_CONN_NAME.test(name)) throw new Error(`${name} is not PROJECT:REGION:INSTANCE`);
    const params: { [k: string]: string } = {};
    for (const [k, v] of new URLSearchParams(query ?? '')) {
      if (UPSTREAM_PARAMS[k] === undefined) throw new Error(`${k} is no instance query param`);
      if (!UPSTREAM_PARAMS[k].test(v)) throw new Error(`${k}=${v} is not a valid value`);
      if (k in params) throw new Error(`${k} given twice`);
      params[k] = v;
    }
    // cmd/root.go:1022-1023
    if ('private-ip' in params && 'psc' in params) throw new Error('cannot specify both private-ip and psc query params');
    instances.push({ name, params });
  }
  // cmd/root.go:843
  if (given['private-ip'] && given.psc) throw new Error('cannot specify --private-ip, --psc, and --sql-data flags at the same time');
  return { flags: given, instances };
}

/** Which IP the proxy dials for an instance (internal/proxy/proxy.go:299-312). */
function ipOf(global: { [flag: string]: string | true }, params: { [k: string]: string }): string {
  const bool = (v: string | undefined) => (v === undefined ? undefined : ['true', 't', ''].includes(v.toLowerCase()));
  const privateIp = bool(params['private-ip']);
  const psc = bool(params.psc);
  if (privateIp === true || (privateIp === undefined && global['private-ip'] === true)) return 'PRIVATE';
  if (psc === true || (psc === undefined && global.psc === true)) return 'PSC';
  return 'PUBLIC';
}

function error(code: string, who = WHO): string {
  return `[${code}] ${who}: `;
}

function proxyOf(manifests: any[], kind = 'Deployment'): any {
  return container(podSpec(find(manifests, kind)), 'cloud-sql-proxy');
}

describe('CloudSqlProxySidecar', () => {
  test('defaults: one instance on 127.0.0.1:5432, private IP, Workload Identity, gated start', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const proxy = new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }] });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    expect(manifests.map(m => m.kind)).toEqual(['Deployment']);
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:cloud-sql-proxy', 'app']);
    const c = container(spec, 'cloud-sql-proxy');
    expect(c.image).toBe('gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3');
    expect(c.restartPolicy).toBe('Always');
    expect(c.args).toEqual([
      '--structured-logs',
      '--health-check',
      '--prometheus',
      '--http-address=0.0.0.0',
      '--http-port=9801',
      '--exit-zero-on-sigterm',
      '--max-sigterm-delay=10s',
      '--private-ip',
      '--address=127.0.0.1',
      'shop-prod:europe-west1:orders?port=5432',
    ]);
    expect(c.ports).toEqual([
      { containerPort: 5432 },
      { containerPort: 9801, name: 'cloudsql-http' },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(c.securityContext).toEqual({
      runAsUser: 65532,
      runAsGroup: 65532,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.startupProbe).toEqual({ httpGet: { path: '/startup', port: 9801, scheme: 'HTTP' }, periodSeconds: 1, failureThreshold: 60, timeoutSeconds: 1 });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/readiness', port: 9801, scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 });
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/liveness', port: 9801, scheme: 'HTTP' }, periodSeconds: 60, failureThreshold: 5, timeoutSeconds: 10 });
    expect(c.volumeMounts).toBeUndefined();
    expect(c.env).toBeUndefined();
    expect(spec.volumes).toBeUndefined();
    expect(spec.terminationGracePeriodSeconds).toBe(42); // app 30 s + drain 10 s + 2 s
    expect(container(spec, 'app').env).toEqual([
      { name: 'DB_HOST', value: '127.0.0.1' },
      { name: 'DB_PORT', value: '5432' },
    ]);
    expect(proxy.kind).toBe('cloud-sql-proxy');
    expect(proxy.profile).toBe(SidecarProfile.PROXY);
    expect(proxy.startRank).toBe(300);
    expect(proxy.metrics).toEqual({ portName: 'cloudsql-http', path: '/metrics' });
    expect(proxy.alertPack).toBe(CloudSqlProxySidecar.ALERT_PACK);
    expect(proxy.alertPack!.alertNames).toEqual(['CloudSqlProxyRefreshFailing', 'CloudSqlProxyDialFailures']);
    expect(proxy.gatesStartup).toBe(true);
    expect(proxy.shutdownBudget.toSeconds()).toBe(12);
    expect(proxy.configMap).toBeUndefined();
    expect(proxy.instances).toEqual([{
      connectionName: ORDERS, port: 5432, ipType: CloudSqlIpType.PRIVATE, autoIamAuthn: false, hostEnvName: 'DB_HOST', portEnvName: 'DB_PORT',
    }]);
  });

  test('every flag, duration and query param exists at the pinned tag, as the proxy reads them', () => {
    // GIVEN every option that adds an argument
    const chart = newChart();
    const web = webDeployment(chart);
    const key = kplus.Secret.fromSecretName(chart, 'key', 'sql-key');

    // WHEN
    new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      instances: [
        { connectionName: ORDERS, port: 5432 },
        { connectionName: REPORTS, port: 5433, ipType: CloudSqlIpType.PSC, autoIamAuthn: true },
        { connectionName: AUDIT, port: 3306, ipType: CloudSqlIpType.PUBLIC },
      ],
      credentials: CloudSqlCredentials.fromSecret(key),
      impersonateServiceAccount: 'db-client@shop-prod.iam.gserviceaccount.com',
      maxConnections: 100,
      connectionTest: true,
      acceptAfterSigterm: Duration.seconds(5),
      drainTime: Duration.minutes(1),
    });

    // THEN the proxy's own rules accept the command line, and the LEGACY wait command's
    const c = proxyOf(synth(chart));
    const parsed = parseCommandLine(c.args);
    expect(Object.keys(parsed.flags).sort()).toEqual([
      'address', 'credentials-file', 'exit-zero-on-sigterm', 'health-check', 'http-address', 'http-port',
      'impersonate-service-account', 'max-connections', 'max-sigterm-delay', 'min-sigterm-delay', 'prometheus',
      'run-connection-test', 'structured-logs',
    ]);
    expect(parsed.flags['max-sigterm-delay']).toBe('60s');
    // Each instance on its own port, dialling the IP type it asked for (proxy.go's own precedence).
    expect(parsed.instances.map(i => [i.name, i.params.port, ipOf(parsed.flags, i.params), i.params['auto-iam-authn'] ?? 'false'])).toEqual([
      [ORDERS, '5432', 'PRIVATE', 'false'],
      [REPORTS, '5433', 'PSC', 'true'],
      [AUDIT, '3306', 'PUBLIC', 'false'],
    ]);
    const legacyChart = newChart();
    new CloudSqlProxySidecar(legacyChart, 'db', {
      workload: webDeployment(legacyChart),
      instances: [{ connectionName: ORDERS, port: 5432 }],
      mode: SidecarMode.LEGACY,
    });
    const [binary, sub, ...waitArgs]: string[] = proxyOf(synth(legacyChart)).lifecycle.postStart.exec.command;
    expect([binary, sub]).toEqual(['/cloud-sql-proxy', 'wait']); // Dockerfile:36 ENTRYPOINT, root.go:460
    expect(parseCommandLine(waitArgs, WAIT_FLAGS).flags).toEqual({ 'http-address': '127.0.0.1', 'http-port': '9801', 'max': '60s' });
  });

  test('several instances: a global flag where all agree, query params where they differ; env per instance', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      ipType: CloudSqlIpType.PUBLIC,
      autoIamAuthn: true,
      instances: [
        { connectionName: ORDERS, port: 5432 },
        { connectionName: REPORTS, port: 5433, autoIamAuthn: false },
        { connectionName: AUDIT, port: 3306, ipType: CloudSqlIpType.PRIVATE, hostEnvName: 'AUDIT_HOST', portEnvName: 'AUDIT_PORT' },
      ],
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const c = container(spec, 'cloud-sql-proxy');
    expect(c.args.slice(7)).toEqual([
      '--address=127.0.0.1',
      'shop-prod:europe-west1:orders?port=5432&auto-iam-authn=true',
      'shop-prod:europe-west1:reports?port=5433',
      'example.com:shop-audit:us-central1:audit-db?port=3306&private-ip=true&auto-iam-authn=true',
    ]);
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([5432, 5433, 3306, 9801]);
    expect(container(spec, 'app').env).toEqual([
      { name: 'DB_HOST', value: '127.0.0.1' },
      { name: 'DB_PORT', value: '5432' },
      { name: 'DB_HOST_1', value: '127.0.0.1' },
      { name: 'DB_PORT_1', value: '5433' },
      { name: 'AUDIT_HOST', value: '127.0.0.1' },
      { name: 'AUDIT_PORT', value: '3306' },
    ]);
  });

  test.each([
    [CloudSqlIpType.PRIVATE, false, ['--private-ip']],
    [CloudSqlIpType.PSC, true, ['--psc', '--auto-iam-authn']],
    [CloudSqlIpType.PUBLIC, true, ['--auto-iam-authn']],
    [CloudSqlIpType.PUBLIC, false, []],
  ])('ipType %s, autoIamAuthn %s: global flags %j', (ipType, autoIamAuthn, expected) => {
    // GIVEN
    const chart = newChart();
    // WHEN two instances that agree
    new CloudSqlProxySidecar(chart, 'db', {
      workload: webDeployment(chart),
      ipType,
      autoIamAuthn,
      instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: REPORTS, port: 5433 }],
    });
    // THEN the flags say it once, and the instances carry only their ports
    const args: string[] = proxyOf(synth(chart)).args;
    expect(args.filter(a => ['--private-ip', '--psc', '--auto-iam-authn'].includes(a))).toEqual(expected);
    expect(args.slice(-2)).toEqual([`${ORDERS}?port=5432`, `${REPORTS}?port=5433`]);
  });

  test('a key file from a Secret: mounted read-only into the proxy only, never in args, env or ConfigMaps', () => {
    // GIVEN a Secret holding a service-account key
    const chart = newChart();
    const web = webDeployment(chart);
    const secret = new kplus.Secret(chart, 'key', { stringData: { 'sa.json': '{"type":"service_account","private_key":"KEY-MATERIAL"}' } });

    // WHEN
    const proxy = new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      instances: [{ connectionName: ORDERS, port: 5432 }],
      credentials: CloudSqlCredentials.fromSecret(secret, 'sa.json'),
    });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'cloud-sql-proxy');
    expect(c.args).toContain('--credentials-file=/var/run/secrets/cloud-sql-proxy/credentials.json');
    expect(c.volumeMounts).toEqual([{ name: 'cloud-sql-proxy-credentials', mountPath: '/var/run/secrets/cloud-sql-proxy', readOnly: true }]);
    expect(spec.volumes).toEqual([{
      name: 'cloud-sql-proxy-credentials',
      secret: { secretName: secret.name, items: [{ key: 'sa.json', path: 'credentials.json' }] },
    }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
    // The key material is in the Secret and nowhere else.
    expect(manifests.filter(m => JSON.stringify(m).includes('KEY-MATERIAL')).map(m => m.kind)).toEqual(['Secret']);
    expect(manifests.filter(m => m.kind === 'ConfigMap')).toEqual([]);
    expect(proxy.container.env.sources).toEqual([]);
  });

  test('Workload Identity adds nothing to the pod: no token, no volume, no key', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      instances: [{ connectionName: ORDERS, port: 5432 }],
      credentials: CloudSqlCredentials.workloadIdentity(),
    });
    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toBeUndefined();
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(container(spec, 'cloud-sql-proxy').args.some((a: string) => a.startsWith('--credentials-file'))).toBe(false);
    expect(CloudSqlCredentials.workloadIdentity().isWorkloadIdentity).toBe(true);
    expect(CloudSqlCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 's', 'k')).key).toBe('credentials.json');
  });

  test('on a Job, native: the Job\'s container is the only regular one and the proxy exits 0 on SIGTERM', () => {
    // GIVEN a migration Job
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'myapp-migrate:v1.0.0' }] });

    // WHEN
    const proxy = new CloudSqlProxySidecar(chart, 'db', { workload: job, instances: [{ connectionName: ORDERS, port: 5432 }] });

    // THEN the kubelet stops the proxy once 'migrate' has exited, and the proxy's exit does not fail the pod
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Job'));
    expect(proxy.placement).toBe(SidecarPlacement.NATIVE_SIDECAR);
    expect(containerOrder(spec)).toEqual(['init:cloud-sql-proxy', 'migrate']);
    expect(spec.restartPolicy).toBe('Never');
    const c = container(spec, 'cloud-sql-proxy');
    expect(c.restartPolicy).toBe('Always');
    expect(c.args).toContain('--exit-zero-on-sigterm');
    expect(c.startupProbe.httpGet.path).toBe('/startup');
    expect(container(spec, 'migrate').env).toEqual([{ name: 'DB_HOST', value: '127.0.0.1' }, { name: 'DB_PORT', value: '5432' }]);
  });

  test('LEGACY on a Deployment: first container, postStart wait holds the app', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      mode: SidecarMode.LEGACY,
      instances: [{ connectionName: ORDERS, port: 5432 }],
      startupTimeout: Duration.seconds(90),
      metricsPort: 9900,
    });
    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['cloud-sql-proxy', 'app']);
    const c = container(spec, 'cloud-sql-proxy');
    expect(c.lifecycle.postStart.exec.command).toEqual(['/cloud-sql-proxy', 'wait', '--http-address=127.0.0.1', '--http-port=9900', '--max=90s']);
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/startup', port: 9900 }, failureThreshold: 90 });
  });

  test('a LEGACY proxy on a Job or CronJob is refused (LEGACY_ON_COMPLETION)', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'myapp-migrate:v1.0.0' }] });
    const cronChart = newChart();
    const cron = new kplus.CronJob(cronChart, 'report', { schedule: Cron.daily(), containers: [{ name: 'report', image: 'myapp:v1.0.0' }] });

    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: job, mode: SidecarMode.LEGACY, instances: [{ connectionName: ORDERS, port: 5432 }] });
    new CloudSqlProxySidecar(cronChart, 'db', { workload: cron, mode: SidecarMode.LEGACY, instances: [{ connectionName: ORDERS, port: 5432 }] });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/migrate\', sidecar \'cloud-sql-proxy\'')}a LEGACY sidecar is an ordinary container that never exits`);
    expect(() => synth(cronChart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/report\', sidecar \'cloud-sql-proxy\'')}a LEGACY sidecar is an ordinary container that never exits`);
  });

  test('drainTime sets --max-sigterm-delay, and the grace period covers it after the app', () => {
    // GIVEN an app that needs 20 s to stop
    const chart = newChart();
    const web = webDeployment(chart);
    PodSidecars.of(web).declareAppShutdown(Duration.seconds(20));
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }], drainTime: Duration.seconds(25) });
    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'cloud-sql-proxy').args).toContain('--max-sigterm-delay=25s');
    expect(spec.terminationGracePeriodSeconds).toBe(20 + 25 + 2);
  });

  test('acceptAfterSigterm sets --min-sigterm-delay (LEGACY: the app may connect while it stops), and the budget covers it', () => {
    // GIVEN a LEGACY proxy, stopped together with the app
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN
    const proxy = new CloudSqlProxySidecar(chart, 'db', {
      workload: web,
      mode: SidecarMode.LEGACY,
      instances: [{ connectionName: ORDERS, port: 5432 }],
      acceptAfterSigterm: Duration.seconds(15),
    });
    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    const args: string[] = container(spec, 'cloud-sql-proxy').args;
    expect(args.slice(5, 8)).toEqual(['--exit-zero-on-sigterm', '--min-sigterm-delay=15s', '--max-sigterm-delay=10s']);
    expect(parseCommandLine(args).flags['min-sigterm-delay']).toBe('15s');
    expect(proxy.shutdownBudget.toSeconds()).toBe(15 + 10 + 2);
    expect(spec.terminationGracePeriodSeconds).toBe(30 + 27);
  });

  test('a grace-period limit below the drain is refused with the numbers (GRACE_PERIOD_TOO_SHORT)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    PodSidecars.of(web).limitTerminationGracePeriod(Duration.seconds(40));
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }] });
    // THEN
    expect(() => synth(chart)).toThrow('[GRACE_PERIOD_TOO_SHORT] workload \'test/web\': terminationGracePeriodSeconds is limited to 40s, but the pod needs 42s (app 30s + cloud-sql-proxy 12s).');
  });

  test('an instance port the app uses is refused (PORT_IN_USE)', () => {
    // GIVEN an app that listens on 5432 itself
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 5432 }] });
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }] });
    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 5432/TCP ('instances[0].port') is also used by container 'app' (containers of a pod share one network namespace). Fix: `);
  });

  test('the HTTP port the app uses is refused (PORT_IN_USE)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9801 }] });
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }] });
    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 9801/TCP ('metricsPort') is also used by container 'app'`);
  });

  test('SidecarAlerts scrapes the HTTP port\'s /metrics and renders the proxy\'s pack for its container', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new SidecarAlerts(chart, 'alerts');
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: web, instances: [{ connectionName: ORDERS, port: 5432 }] });
    // THEN
    const manifests = synth(chart);
    const endpoints = find(manifests, 'PodMonitor').spec.podMetricsEndpoints;
    expect(endpoints.map((e: any) => [e.relabelings[0].regex, e.port, e.path])).toEqual([['cloud-sql-proxy', 'cloudsql-http', '/metrics']]);
    const group = find(manifests, 'PrometheusRule').spec.groups.find((g: any) => g.name === 'sidecar-cloud-sql-proxy');
    expect(group.rules.map((r: any) => r.alert)).toEqual(['CloudSqlProxyRefreshFailing', 'CloudSqlProxyDialFailures']);
    for (const r of group.rules) expect(r.expr).toContain('{namespace="production", container="cloud-sql-proxy"}');
  });

  test('user: 1000 keeps the image\'s gid 65532; options turn off structured logs', () => {
    // GIVEN
    const chart = newChart();
    // WHEN
    new CloudSqlProxySidecar(chart, 'db', { workload: webDeployment(chart), instances: [{ connectionName: ORDERS, port: 5432 }], user: 1000, structuredLogs: false });
    // THEN
    const c = proxyOf(synth(chart));
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 65532 });
    expect(c.args[0]).toBe('--health-check');
  });

  describe('bad input', () => {
    const one = [{ connectionName: ORDERS, port: 5432 }];
    const cases: [string, Partial<CloudSqlProxySidecarProps> | any, string, string][] = [
      ['no instances', { instances: [] }, 'CLOUD_SQL_INSTANCE_INVALID',
        '\'instances\' is empty. Fix: pass at least one instance: { connectionName: \'project:region:instance\', port: 5432 }.'],
      ['instances missing', { instances: undefined }, 'CLOUD_SQL_INSTANCE_INVALID', '\'instances\' is empty. Fix: '],
      ['an instance that is no object', { instances: [null] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 is not a CloudSqlInstance. Fix: pass { connectionName: \'project:region:instance\', port: 5432 }.'],
      ['two parts', { instances: [{ connectionName: 'shop-prod:orders', port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:orders\') is not an instance connection name \'project:region:instance\'. Fix: copy the connection name from'],
      ['a query param smuggled in', { instances: [{ connectionName: `${ORDERS}?port=1`, port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:europe-west1:orders?port=1\') is not an instance connection name'],
      ['a second argument smuggled in', { instances: [{ connectionName: `${ORDERS} --quitquitquit`, port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:europe-west1:orders --quitquitquit\') is not an instance connection name'],
      ['upper case', { instances: [{ connectionName: 'Shop-Prod:europe-west1:orders', port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'Shop-Prod:europe-west1:orders\') is not an instance connection name'],
      ['a zone for a region', { instances: [{ connectionName: 'shop-prod:europe-west1-b:orders', port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:europe-west1-b:orders\') is not an instance connection name'],
      ['four parts without a domain', { instances: [{ connectionName: 'shop-prod:shop-audit:us-central1:audit-db', port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:shop-audit:us-central1:audit-db\') is not an instance connection name'],
      ['a short project ID', { instances: [{ connectionName: 'shop:europe-west1:orders', port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop:europe-west1:orders\') is not an instance connection name'],
      ['a newline', { instances: [{ connectionName: `${ORDERS}\nx`, port: 5432 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instance 0 (\'shop-prod:europe-west1:orders\\nx\') is not an instance connection name'],
      ['the same instance twice', { instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: ORDERS, port: 5433 }] }, 'CLOUD_SQL_INSTANCE_INVALID',
        'instances 0 and 1 are both \'shop-prod:europe-west1:orders\'. Fix: list each instance once; the app\'s connections to it can share its port.'],
      ['instance port', { instances: [{ connectionName: ORDERS, port: 0 }] }, 'PORT_INVALID', '\'instances[0].port\' 0 is not a valid port number. Fix: '],
      ['metrics port', { instances: one, metricsPort: 70000 }, 'PORT_INVALID', '\'metricsPort\' 70000 is not a valid port number. Fix: '],
      ['two instances on one port', { instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: REPORTS, port: 5432 }] }, 'PORT_DUPLICATE',
        '\'instances[0].port\' and \'instances[1].port\' are both 5432. Fix: '],
      ['an instance on the metrics port', { instances: [{ connectionName: ORDERS, port: 9801 }] }, 'PORT_DUPLICATE',
        '\'instances[0].port\' and \'metricsPort\' are both 9801. Fix: '],
      ['bad env name', { instances: [{ connectionName: ORDERS, port: 5432, hostEnvName: 'DB HOST' }] }, 'ENV_NAME_INVALID',
        '\'DB HOST\' in \'instances[0].hostEnvName\' is not a valid environment variable name. Fix: '],
      ['env name shared by two instances', { instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: REPORTS, port: 5433, portEnvName: 'DB_PORT' }] }, 'CLOUD_SQL_ENV_INVALID',
        'instances 0 and 1 both set the app\'s variable \'DB_PORT\'. Fix: give each instance its own \'hostEnvName\' and \'portEnvName\'.'],
      ['host variable shared by the first and third instances', {
        instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: REPORTS, port: 5433 }, { connectionName: 'shop-prod:europe-west1:audit', port: 5434, hostEnvName: 'DB_HOST' }],
      }, 'CLOUD_SQL_ENV_INVALID',
      'instances 0 and 2 both set the app\'s variable \'DB_HOST\'. Fix: give each instance its own \'hostEnvName\' and \'portEnvName\'.'],
      ['host and port in one variable', { instances: [{ connectionName: ORDERS, port: 5432, hostEnvName: 'DB', portEnvName: 'DB' }] }, 'CLOUD_SQL_ENV_INVALID',
        'instance 0 sets the app\'s variable \'DB\' for both its host and its port. Fix: '],
      ['ip type', { instances: one, ipType: 'VPN' }, 'ENUM_INVALID', '\'ipType\' \'VPN\' is not one of the CloudSqlIpType values. Fix: pass CloudSqlIpType.PRIVATE, CloudSqlIpType.PUBLIC or CloudSqlIpType.PSC.'],
      ['instance ip type', { instances: [{ connectionName: ORDERS, port: 5432, ipType: 'private' }] }, 'ENUM_INVALID', '\'instances[0].ipType\' \'private\' is not one of the CloudSqlIpType values. Fix: '],
      ['drain time', { instances: one, drainTime: Duration.millis(1500) }, 'DURATION_INVALID', '\'drainTime\' is not a whole number of seconds, 0 or more. Fix: '],
      ['accept after SIGTERM', { instances: one, acceptAfterSigterm: Duration.millis(500) }, 'DURATION_INVALID', '\'acceptAfterSigterm\' is not a whole number of seconds, 0 or more. Fix: '],
      ['startup timeout', { instances: one, startupTimeout: Duration.seconds(0) }, 'DURATION_INVALID', '\'startupTimeout\' is not a whole number of seconds of at least 1. Fix: '],
      ['max connections', { instances: one, maxConnections: 0 }, 'NUMBER_INVALID', '\'maxConnections\' 0 is not a whole number 1 or more. Fix: '],
      ['service account', { instances: one, impersonateServiceAccount: 'db-client' }, 'CLOUD_SQL_SERVICE_ACCOUNT_INVALID',
        '\'impersonateServiceAccount\' \'db-client\' is not a Google service account email. Fix: pass one email such as \'db-client@my-project.iam.gserviceaccount.com\'.'],
      ['a delegation chain', { instances: one, impersonateServiceAccount: 'a@p.iam.gserviceaccount.com,b@p.iam.gserviceaccount.com' }, 'CLOUD_SQL_SERVICE_ACCOUNT_INVALID',
        '\'impersonateServiceAccount\' \'a@p.iam.gserviceaccount.com,b@p.iam.gserviceaccount.com\' is not a Google service account email. Fix: '],
    ];
    test.each(cases)('%s', (_, props, code, message) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      // WHEN / THEN
      expect(() => new CloudSqlProxySidecar(chart, 'db', { workload: web, ...props })).toThrow(`${error(code)}${message}`);
    });

    test('a key file Secret of another namespace: the pod could not mount it', () => {
      // GIVEN a Secret the app defines in 'staging', for a workload in 'production'
      const chart = newChart();
      const web = webDeployment(chart);
      const staging = new Chart(Testing.app(), 'staging', { namespace: 'staging' });
      const secret = new kplus.Secret(staging, 'key', { metadata: { name: 'sql-key' } });
      // WHEN / THEN the core's volume check names it
      expect(() => new CloudSqlProxySidecar(chart, 'db', {
        workload: web,
        instances: [{ connectionName: ORDERS, port: 5432 }],
        credentials: CloudSqlCredentials.fromSecret(secret),
      })).toThrow(`${error('VOLUME_NAMESPACE_MISMATCH')}volume 'cloud-sql-proxy-credentials': Secret 'sql-key' is in namespace 'staging', the workload in namespace 'production'. Fix: `);
    });

    test.each([['a path', 'keys/sa.json'], ['an empty key', ''], ['..', '..'], ['a key starting with ..', '..data']])('key file key: %s', (_, key) => {
      // GIVEN a Secret key the API server would refuse
      const chart = newChart();
      const web = webDeployment(chart);
      const secret = kplus.Secret.fromSecretName(chart, 'key', 'sql-key');
      // WHEN / THEN
      expect(() => new CloudSqlProxySidecar(chart, 'db', {
        workload: web,
        instances: [{ connectionName: ORDERS, port: 5432 }],
        credentials: CloudSqlCredentials.fromSecret(secret, key),
      })).toThrow(`${error('CLOUD_SQL_CREDENTIALS_INVALID')}the key file's Secret key ${JSON.stringify(key).replace(/"/g, '\'')} is not a Secret key. Fix: `);
    });
  });
});

describe('cloudSqlProxySpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const chart = newChart();
    const props: CloudSqlProxySidecarProps = {
      workload: webDeployment(chart),
      instances: [{ connectionName: ORDERS, port: 5432 }, { connectionName: REPORTS, port: 3306, ipType: CloudSqlIpType.PUBLIC }],
      credentials: CloudSqlCredentials.fromSecret(kplus.Secret.fromSecretName(chart, 'key', 'sql-key')),
    };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, cloudSqlProxySpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3',
      imageUser: 65532,
      imageGroup: 65532,
      kind: 'cloud-sql-proxy',
      profile: SidecarProfile.PROXY,
      alertPack: CloudSqlProxySidecar.ALERT_PACK,
      metrics: { portName: 'cloudsql-http', path: '/metrics' },
      ports: [
        { number: 5432, prop: 'instances[0].port' },
        { number: 3306, prop: 'instances[1].port' },
        { number: 9801, name: 'cloudsql-http', prop: 'metricsPort' },
      ],
    });
    expect(spec.args!.slice(-3)).toEqual(['--address=127.0.0.1', `${ORDERS}?port=5432&private-ip=true`, `${REPORTS}?port=3306`]);
    expect(spec.shutdownBudget!.toSeconds()).toBe(12);
    expect(spec.configFiles).toBeUndefined();
    expect(spec.writablePaths).toBeUndefined();
    expect(spec.volumes!.map(v => ({ name: v.name, path: v.path, readOnly: v.readOnly, appPath: v.appPath, kind: v.source.kind })))
      .toEqual([{ name: 'cloud-sql-proxy-credentials', path: '/var/run/secrets/cloud-sql-proxy', readOnly: true, appPath: undefined, kind: 'secret' }]);
    expect(Object.keys(spec.appEnvVariables!)).toEqual(['DB_HOST', 'DB_PORT', 'DB_HOST_1', 'DB_PORT_1']);
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const chart = newChart();
    const props: CloudSqlProxySidecarProps = { workload: webDeployment(chart), instances: [{ connectionName: 'orders', port: 5432 }] };

    // WHEN
    let raised: unknown;
    try {
      cloudSqlProxySpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'CLOUD_SQL_INSTANCE_INVALID', problem: 'instance 0 (\'orders\') is not an instance connection name \'project:region:instance\'' });
  });
});
