import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CLOUD_SQL_PROXY_ALERT_PACK } from './alerts';
import { CloudSqlCredentials } from './credentials';
import { CLOUD_SQL_PROXY_DASHBOARD_PACK } from './dashboard';
import { CloudSqlInstance, CloudSqlIpType } from './instance';
import type { CloudSqlProxySidecarProps } from './sidecar';
import { dnsLabelFrom, isConfigMapKey, shown } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarMode, SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolume, SidecarVolumeSource } from '../../core/volumes';

/*
 * The Cloud SQL Auth Proxy v2 as a sidecar spec. Every flag below exists at the pinned
 * tag, v2.25.3 (GoogleCloudPlatform/cloud-sql-proxy, cmd/root.go):
 *
 * | flag | cmd/root.go |
 * | --- | --- |
 * | --structured-logs | 530 |
 * | --max-connections | 534 |
 * | --min-sigterm-delay (a Go duration) | 536 |
 * | --max-sigterm-delay (a Go duration) | 538 |
 * | --exit-zero-on-sigterm (else exit 143: cmd/errors.go:27-30, sent at cmd/root.go:1124) | 550 |
 * | --prometheus (`/metrics` on the HTTP server: 1187) | 552 |
 * | --http-address (default localhost), --http-port (default 9090) | 556, 558 |
 * | --health-check (`/startup`, `/readiness`, `/liveness`: 1195-1197) | 566 |
 * | --impersonate-service-account | 582 |
 * | --run-connection-test (before /startup passes: internal/proxy/proxy.go:686-693, 713) | 603 |
 * | --credentials-file | 520 |
 * | --address (default 127.0.0.1) | 612 |
 * | --auto-iam-authn, --private-ip, --psc | 618, 620, 622 |
 * | instance query params port, auto-iam-authn, private-ip, psc | 932, 1004, 1009, 1017 |
 * | `wait` --max, with the global --http-address/--http-port, polls /startup | 386-411, 460-470 |
 *
 * A per-instance `private-ip`/`psc` param wins over the global flag, but both params on
 * one instance are refused (cmd/root.go:1023) and `psc=true` alone loses to a global
 * `--private-ip` (internal/proxy/proxy.go:302-307): so a global IP flag is used only when
 * every instance has the same IP type, and per-instance params otherwise.
 */

export const DEFAULT_NAME = 'cloud-sql-proxy';
const DEFAULT_METRICS_PORT = 9801;
const HTTP_PORT_NAME = 'cloudsql-http';
/** The image's `USER 65532` (Dockerfile:35 at v2.25.3), distroless `nonroot` (gid 65532). */
const PROXY_UID = 65532;
/** The binary, the image's ENTRYPOINT (Dockerfile:36). */
const BINARY = '/cloud-sql-proxy';
const CREDENTIALS_DIR = '/var/run/secrets/cloud-sql-proxy';
const CREDENTIALS_FILE = 'credentials.json';

/** `project:region:instance`; the project may be domain-scoped (`example.com:project`). */
const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const CONNECTION_NAME = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]:[a-z]+(?:-[a-z]+)+[0-9]+:[a-z](?:[-a-z0-9]*[a-z0-9])?$`);
/** A Google service account's email (no ',' — that would make it a delegation chain). */
const SERVICE_ACCOUNT = /^[a-z0-9][-a-z0-9]*@[a-z0-9][-a-z0-9.]*\.gserviceaccount\.com$/;

/** An instance with every default applied. */
export interface ResolvedInstance {
  readonly connectionName: string;
  readonly port: number;
  readonly ipType: CloudSqlIpType;
  readonly autoIamAuthn: boolean;
  readonly hostEnvName: string;
  readonly portEnvName: string;
}

/** The instances, checked, with their defaults. */
export function resolveInstances(props: CloudSqlProxySidecarProps, { checks, fail }: SpecContext): ResolvedInstance[] {
  const instances = props.instances ?? [];
  if (!Array.isArray(instances) || instances.length === 0) {
    fail('CLOUD_SQL_INSTANCE_INVALID', '\'instances\' is empty', 'pass at least one instance: { connectionName: \'project:region:instance\', port: 5432 }');
  }
  const ipType = checks.oneOf('ipType', props.ipType ?? CloudSqlIpType.PRIVATE, CloudSqlIpType, 'CloudSqlIpType');
  const autoIamAuthn = props.autoIamAuthn ?? false;
  const seen = new Map<string, number>();
  const envOwners = new Map<string, number>();
  return instances.map((instance: CloudSqlInstance, i) => {
    if (instance === null || typeof instance !== 'object') {
      fail('CLOUD_SQL_INSTANCE_INVALID', `instance ${i} is not a CloudSqlInstance`, 'pass { connectionName: \'project:region:instance\', port: 5432 }');
    }
    const name = instance.connectionName;
    if (typeof name !== 'string' || !CONNECTION_NAME.test(name)) {
      fail('CLOUD_SQL_INSTANCE_INVALID', `instance ${i} (${shown(name)}) is not an instance connection name 'project:region:instance'`,
        'copy the connection name from \'gcloud sql instances describe <instance> --format="value(connectionName)"\': a project ID (6 to 30 lower-case letters, digits and \'-\', optionally after \'domain:\'), a region such as \'us-central1\' and the instance ID, separated by \':\'');
    }
    const first = seen.get(name);
    if (first !== undefined) {
      fail('CLOUD_SQL_INSTANCE_INVALID', `instances ${first} and ${i} are both '${name}'`, 'list each instance once; the app\'s connections to it can share its port');
    }
    seen.set(name, i);
    const port = checks.port(`instances[${i}].port`, instance.port);
    const suffix = i === 0 ? '' : `_${i}`;
    const hostEnvName = checks.envName(`instances[${i}].hostEnvName`, instance.hostEnvName ?? `DB_HOST${suffix}`);
    const portEnvName = checks.envName(`instances[${i}].portEnvName`, instance.portEnvName ?? `DB_PORT${suffix}`);
    for (const variable of [hostEnvName, portEnvName]) {
      const owner = envOwners.get(variable);
      if (owner !== undefined) {
        fail('CLOUD_SQL_ENV_INVALID', owner === i
          ? `instance ${i} sets the app's variable '${variable}' for both its host and its port`
          : `instances ${owner} and ${i} both set the app's variable '${variable}'`,
        'give each instance its own \'hostEnvName\' and \'portEnvName\'');
      }
      envOwners.set(variable, i);
    }
    return {
      connectionName: name,
      port,
      ipType: checks.oneOf(`instances[${i}].ipType`, instance.ipType ?? ipType, CloudSqlIpType, 'CloudSqlIpType'),
      autoIamAuthn: instance.autoIamAuthn ?? autoIamAuthn,
      hostEnvName,
      portEnvName,
    };
  });
}

/** The flag of an IP type, for all instances. */
const IP_FLAG: { [type: string]: string | undefined } = {
  [CloudSqlIpType.PRIVATE]: '--private-ip',
  [CloudSqlIpType.PSC]: '--psc',
  [CloudSqlIpType.PUBLIC]: undefined,
};
/** The query param of an IP type, for one instance. */
const IP_PARAM: { [type: string]: string | undefined } = {
  [CloudSqlIpType.PRIVATE]: 'private-ip=true',
  [CloudSqlIpType.PSC]: 'psc=true',
  [CloudSqlIpType.PUBLIC]: undefined,
};

/** The proxy's arguments for these instances: global flags where all agree, query params otherwise. */
function instanceArgs(instances: ResolvedInstance[]): { flags: string[]; instances: string[] } {
  const sameIp = instances.every(i => i.ipType === instances[0].ipType);
  const allIam = instances.every(i => i.autoIamAuthn);
  const flags = [
    ...(sameIp && IP_FLAG[instances[0].ipType] !== undefined ? [IP_FLAG[instances[0].ipType]!] : []),
    ...(allIam ? ['--auto-iam-authn'] : []),
  ];
  return {
    flags,
    instances: instances.map(i => {
      const params = [`port=${i.port}`];
      if (!sameIp && IP_PARAM[i.ipType] !== undefined) params.push(IP_PARAM[i.ipType]!);
      if (!allIam && i.autoIamAuthn) params.push('auto-iam-authn=true');
      return `${i.connectionName}?${params.join('&')}`;
    }),
  };
}

/**
 * The Cloud SQL Auth Proxy as a sidecar spec: args only (no config file), so a change
 * changes the pod template and rolls the pods by itself.
 */
export function cloudSqlProxySpec(props: CloudSqlProxySidecarProps, context: SpecContext): SidecarSpec {
  const { checks, fail, name } = context;
  const instances = resolveInstances(props, context);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? DEFAULT_METRICS_PORT);
  checks.distinctPorts({ ...Object.fromEntries(instances.map((inst, i) => [`instances[${i}].port`, inst.port])), metricsPort });
  const drainSeconds = checks.seconds('drainTime', props.drainTime ?? Duration.seconds(10));
  const acceptSeconds = checks.seconds('acceptAfterSigterm', props.acceptAfterSigterm ?? Duration.seconds(0));
  const startupSeconds = checks.seconds('startupTimeout', props.startupTimeout ?? Duration.seconds(60), 1);
  const maxConnections = props.maxConnections === undefined ? undefined : checks.integer('maxConnections', props.maxConnections, 1);
  const structuredLogs = props.structuredLogs ?? true;
  const connectionTest = props.connectionTest ?? false;

  const credentials = props.credentials ?? CloudSqlCredentials.workloadIdentity();
  const volumes: SidecarVolume[] = [];
  if (credentials._secret !== undefined) {
    const key = credentials.key as string;
    if (!isConfigMapKey(key)) {
      fail('CLOUD_SQL_CREDENTIALS_INVALID', `the key file's Secret key ${shown(key)} is not a Secret key`,
        'pass the key of the Secret that holds the JSON key file (letters, digits, \'-\', \'_\' and \'.\'), e.g. CloudSqlCredentials.fromSecret(secret, \'credentials.json\')');
    }
    volumes.push({
      name: dnsLabelFrom(name, 'credentials'),
      source: SidecarVolumeSource.secret(credentials._secret, { items: { [key]: CREDENTIALS_FILE } }),
      path: CREDENTIALS_DIR,
      readOnly: true,
    });
  }
  const impersonate = props.impersonateServiceAccount;
  if (impersonate !== undefined && (typeof impersonate !== 'string' || !SERVICE_ACCOUNT.test(impersonate))) {
    fail('CLOUD_SQL_SERVICE_ACCOUNT_INVALID', `'impersonateServiceAccount' ${shown(impersonate)} is not a Google service account email`,
      'pass one email such as \'db-client@my-project.iam.gserviceaccount.com\'');
  }

  const { flags, instances: instanceArgv } = instanceArgs(instances);
  const probe = (path: string, options: kplus.ProbeOptions) => kplus.Probe.fromHttpGet(path, { port: metricsPort, ...options });

  return {
    image: props.image ?? SidecarImages.CLOUD_SQL_PROXY,
    imageUser: PROXY_UID,
    imageGroup: PROXY_UID,
    kind: 'cloud-sql-proxy',
    profile: SidecarProfile.PROXY,
    alertPack: CLOUD_SQL_PROXY_ALERT_PACK,
    dashboardPack: CLOUD_SQL_PROXY_DASHBOARD_PACK,
    args: [
      ...(structuredLogs ? ['--structured-logs'] : []),
      // The kubelet probes and Prometheus scrapes the pod IP: the HTTP server cannot stay on localhost.
      '--health-check',
      '--prometheus',
      '--http-address=0.0.0.0',
      `--http-port=${metricsPort}`,
      '--exit-zero-on-sigterm',
      ...(acceptSeconds > 0 ? [`--min-sigterm-delay=${acceptSeconds}s`] : []),
      `--max-sigterm-delay=${drainSeconds}s`,
      ...(maxConnections !== undefined ? [`--max-connections=${maxConnections}`] : []),
      ...(connectionTest ? ['--run-connection-test'] : []),
      ...(credentials._secret !== undefined ? [`--credentials-file=${CREDENTIALS_DIR}/${CREDENTIALS_FILE}`] : []),
      ...(impersonate !== undefined ? [`--impersonate-service-account=${impersonate}`] : []),
      ...flags,
      // The database listeners: loopback only, one port per instance.
      '--address=127.0.0.1',
      ...instanceArgv,
    ],
    ports: [
      ...instances.map((inst, i) => ({ number: inst.port, prop: `instances[${i}].port` })),
      { number: metricsPort, name: HTTP_PORT_NAME, prop: 'metricsPort' },
    ],
    metrics: { portName: HTTP_PORT_NAME, path: '/metrics' },
    // /startup answers 200 once every listener is open (internal/healthcheck/healthcheck.go:62):
    // the app, which needs its database at start, starts after it.
    startup: probe('/startup', {
      periodSeconds: Duration.seconds(1),
      failureThreshold: startupSeconds,
      timeoutSeconds: Duration.seconds(1),
    }),
    // /readiness fails before start, after SIGTERM and at --max-connections (healthcheck.go:81-111).
    readiness: probe('/readiness', {
      periodSeconds: Duration.seconds(10),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(5),
    }),
    // /liveness answers while the process serves HTTP (healthcheck.go:116); a long period, as the
    // upstream example advises (examples/k8s-health-check/proxy_with_http_health_check.yaml:155-159):
    // 5 minutes of failures outlast the certificate refresh that starts before expiry.
    liveness: probe('/liveness', {
      periodSeconds: Duration.seconds(60),
      failureThreshold: 5,
      timeoutSeconds: Duration.seconds(10),
    }),
    // LEGACY: `cloud-sql-proxy wait` polls http://<address>:<port>/startup until it answers 200.
    // NATIVE keeps the startup probe as the gate.
    startupCommand: context.mode === SidecarMode.LEGACY
      ? [BINARY, 'wait', '--http-address=127.0.0.1', `--http-port=${metricsPort}`, `--max=${startupSeconds}s`]
      : undefined,
    // After SIGTERM the proxy accepts new connections for --min-sigterm-delay (cmd/root.go:1255-1260),
    // waits up to --max-sigterm-delay for the open ones to close (internal/proxy/proxy.go:753-767),
    // then stops its HTTP server (up to 1 s: cmd/root.go:1305): the budget covers all three.
    shutdownBudget: Duration.seconds(acceptSeconds + drainSeconds + 2),
    volumes,
    appEnvVariables: Object.fromEntries(instances.flatMap(inst => [
      [inst.hostEnvName, kplus.EnvValue.fromValue('127.0.0.1')],
      [inst.portEnvName, kplus.EnvValue.fromValue(String(inst.port))],
    ])),
  };
}
