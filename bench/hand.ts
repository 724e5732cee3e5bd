/**
 * The hand-written side: the same pods as bench/library.ts, written with
 * cdk8s-plus-28 and cdk8s ApiObjects only (nothing from src/), as a competent
 * engineer would: the config files are constants (bench/hand-config.ts), their
 * hashes are computed once, every pod gets the same containers, volumes, probes,
 * ConfigMaps and annotations, and the chart one PrometheusRule and PodMonitor.
 *
 * The constructs use the library's ids (`logs-<i>/Resource`, `alerts/PodMonitor`,
 * ...) so that cdk8s derives the same object names from the same paths; that costs
 * nothing and lets the equivalence test compare the manifests as they are.
 */
import { createHash } from 'crypto';
import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ENVOY_YAML, FLUENT_BIT_YAML, POD_METRICS_ENDPOINTS, RULE_GROUPS, VAULT_AGENT_HCL } from './hand-config';
import { APP_IMAGE, APP_PORT, NAMESPACE, VAULT_SECRETS } from './scenario';

const VAULT_DATA: { [key: string]: string } = { 'agent.hcl': VAULT_AGENT_HCL };
for (const s of VAULT_SECRETS) {
  VAULT_DATA[`${s.name}.ctmpl`] = `{{ with secret "${s.path}" }}{{ .Data | toJSON }}{{ end }}\n`;
}

// A hash of each sidecar's config files on the pod template: a changed file rolls the pods.
function rolloutHash(files: { [name: string]: string }): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(name).update('\0').update(files[name]).update('\0');
  return hash.digest('hex').slice(0, 16);
}
const FLUENT_BIT_HASH = rolloutHash({ 'fluent-bit.yaml': FLUENT_BIT_YAML });
const VAULT_HASH = rolloutHash(VAULT_DATA);
const ENVOY_HASH = rolloutHash({ 'envoy.yaml': ENVOY_YAML });
// Vault Agent's startup gate, a blocking postStart hook (BusyBox sh on Alpine): every secret
// rendered (a non-empty file), polled every 0.1 s, for up to 300 s (3000 rounds).
const VAULT_STARTED = [
  'i=0',
  'while [ "$i" -lt 3000 ]; do',
  `  if ${VAULT_SECRETS.map(s => `test -s /vault/secrets/${s.name}`).join(' && ')}; then exit 0; fi`,
  '  sleep 0.1',
  '  i=$((i + 1))',
  'done',
  'echo "vault-agent had not rendered the secrets after 300s" >&2',
  'exit 1',
].join('\n');
// At deletion the agent (PID 1) is stopped in parallel with the app: the app does not need it
// while it stops (the rendered files stay on the volume).
const STOP_WITH_APP = ['sh', '-c', 'kill -TERM 1'];

// A request to Envoy's admin listener (bash, no curl in the image): true when it answers 200.
const ADMIN_REQUEST = (method: string, path: string) =>
  `( exec 3<>/dev/tcp/127.0.0.1/15000 && printf '${method} ${path} HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS=' ' read -r -t 2 _ code _ <&3 && [ "$code" = 200 ] ) 2>/dev/null`;
// Envoy's preStop hook: ask for a graceful drain of the inbound listeners and return; as a
// native sidecar Envoy is stopped after the app.
const ENVOY_DRAIN = `${ADMIN_REQUEST('POST', '/drain_listeners?inboundonly&graceful')} || echo "envoy drain request failed" >&2`;
// Envoy's startup gate, a blocking postStart hook: the admin /ready answers 200, polled every
// 0.1 s, for up to 60 s of wall time (bash's SECONDS).
const ENVOY_READY = [
  'while [ "$SECONDS" -lt 60 ]; do',
  `  if ${ADMIN_REQUEST('GET', '/ready')}; then exit 0; fi`,
  '  sleep 0.1',
  'done',
  'echo "envoy was not ready after 60s" >&2',
  'exit 1',
].join('\n');

const restricted = (uid: number, gid: number): kplus.ContainerSecurityContextProps => ({
  ensureNonRoot: true,
  user: uid,
  group: gid,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
});
const resources = (cpu: [number, number], memory: [number, number]): kplus.ContainerResources => ({
  cpu: { request: kplus.Cpu.millis(cpu[0]), limit: kplus.Cpu.millis(cpu[1]) },
  memory: { request: Size.mebibytes(memory[0]), limit: Size.mebibytes(memory[1]) },
});
const httpGet = (path: string, port: number, periodSeconds: number, failureThreshold: number, timeoutSeconds = 1, initialDelaySeconds?: number) =>
  kplus.Probe.fromHttpGet(path, {
    port,
    periodSeconds: Duration.seconds(periodSeconds),
    timeoutSeconds: Duration.seconds(timeoutSeconds),
    failureThreshold,
    initialDelaySeconds: initialDelaySeconds === undefined ? undefined : Duration.seconds(initialDelaySeconds),
  });

// cdk8s-plus-28 has no factory for a projected service-account token volume; every
// Volume.fromXxx() factory passes the raw volume source to this constructor.
type VolumeConstructor = new (scope: Construct, id: string, name: string, config: any) => kplus.Volume;
const projectedToken = (scope: Construct, id: string, name: string) =>
  new (kplus.Volume as unknown as VolumeConstructor)(scope, id, name, {
    projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
  });

function pod(chart: Chart, i: number): kplus.Deployment {
  const web = new kplus.Deployment(chart, `web-${i}`, {
    // The app's own 30s, then Fluent Bit's drain time and exit after it (30s + 5s), as
    // the library computes the pod's grace period (native Envoy and Vault Agent add nothing).
    terminationGracePeriod: Duration.seconds(65),
    containers: [{
      name: 'app',
      image: APP_IMAGE,
      portNumber: APP_PORT,
      envVariables: {
        VAULT_SECRETS_PATH: kplus.EnvValue.fromValue('/vault/secrets'),
        HTTP_PROXY: kplus.EnvValue.fromValue('http://127.0.0.1:15001'),
        http_proxy: kplus.EnvValue.fromValue('http://127.0.0.1:15001'),
        HTTPS_PROXY: kplus.EnvValue.fromValue('http://127.0.0.1:15001'),
        https_proxy: kplus.EnvValue.fromValue('http://127.0.0.1:15001'),
        NO_PROXY: kplus.EnvValue.fromValue('localhost,127.0.0.1'),
        no_proxy: kplus.EnvValue.fromValue('localhost,127.0.0.1'),
      },
    }],
  });
  const app = web.containers[0];
  web.podMetadata.addAnnotation('config.cdk8s-sidecars.io/fluent-bit', FLUENT_BIT_HASH);
  web.podMetadata.addAnnotation('config.cdk8s-sidecars.io/vault-agent', VAULT_HASH);
  web.podMetadata.addAnnotation('config.cdk8s-sidecars.io/envoy', ENVOY_HASH);
  web.podMetadata.addAnnotation('sidecar.istio.io/inject', 'false');
  web.podMetadata.addLabel('sidecar.istio.io/inject', 'false');
  web.podMetadata.addAnnotation('linkerd.io/inject', 'disabled');

  // Fluent Bit: tails the app's log directory.
  const logs = new Construct(chart, `logs-${i}`);
  const appLogs = kplus.Volume.fromEmptyDir(logs, 'LogVolume', 'app-logs', { sizeLimit: Size.gibibytes(1) });
  app.mount('/var/log/app', appLogs, { readOnly: false });
  const fluentBitConfig = new kplus.ConfigMap(logs, 'Resource', {
    data: { 'fluent-bit.yaml': FLUENT_BIT_YAML },
  });
  web.addInitContainer({
    name: 'fluent-bit',
    image: 'fluent/fluent-bit:5.1.1',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    restartPolicy: kplus.ContainerRestartPolicy.ALWAYS,
    command: ['/fluent-bit/bin/fluent-bit'],
    args: ['--config', '/fluent-bit/etc/fluent-bit.yaml'],
    ports: [{ name: 'flb-metrics', number: 2020, protocol: kplus.Protocol.TCP }],
    envVariables: {
      POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      NODE_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
    },
    resources: resources([50, 200], [64, 256]),
    securityContext: restricted(65532, 65532),
    // No startup probe: it reads from the head, the app does not wait for it.
    readiness: httpGet('/api/v1/uptime', 2020, 10, 3),
    liveness: httpGet('/api/v1/uptime', 2020, 10, 6),
    volumeMounts: [
      { path: '/var/fluent-bit/state', volume: kplus.Volume.fromEmptyDir(logs, 'Writable0', 'fluent-bit-var-fluent-bit-state', { sizeLimit: Size.mebibytes(192) }), readOnly: false },
      { path: '/fluent-bit/etc', volume: kplus.Volume.fromConfigMap(logs, 'ConfigVolume', fluentBitConfig, { name: 'fluent-bit-config' }), readOnly: true },
      { path: '/var/log/app', volume: appLogs, readOnly: true },
    ],
  });

  // Vault Agent: renders the secrets into a memory emptyDir shared with the app.
  const secrets = new Construct(chart, `secrets-${i}`);
  const vaultSecrets = kplus.Volume.fromEmptyDir(secrets, 'Secrets', 'vault-agent-secrets', {
    medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(4),
  });
  app.mount('/vault/secrets', vaultSecrets, { readOnly: true });
  const vaultConfig = new kplus.ConfigMap(secrets, 'Resource', { data: VAULT_DATA });
  web.addInitContainer({
    name: 'vault-agent',
    image: 'hashicorp/vault:1.19.0',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    restartPolicy: kplus.ContainerRestartPolicy.ALWAYS,
    command: ['vault'],
    args: ['agent', '-config=/vault/config/agent.hcl'],
    ports: [{ name: 'vault-metrics', number: 8201 }],
    resources: resources([50, 200], [64, 256]),
    securityContext: restricted(100, 1000),
    lifecycle: {
      postStart: kplus.Handler.fromCommand(['sh', '-c', VAULT_STARTED]),
      preStop: kplus.Handler.fromCommand(STOP_WITH_APP),
    },
    volumeMounts: [
      { path: '/vault/config', volume: kplus.Volume.fromConfigMap(secrets, 'Config', vaultConfig, { name: 'vault-agent-config' }), readOnly: true },
      { path: '/vault/secrets', volume: vaultSecrets, readOnly: false },
      { path: '/home/vault', volume: kplus.Volume.fromEmptyDir(secrets, 'Home', 'vault-agent-home', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }), readOnly: false },
      { path: '/var/run/secrets/vault.hashicorp.com/serviceaccount', volume: projectedToken(secrets, 'ServiceAccountToken', 'vault-agent-sa-token'), readOnly: true },
    ],
  });

  // Envoy: inbound 15006 to the app, outbound 15001 to the upstream, stats 15090.
  const proxy = new Construct(chart, `proxy-${i}`);
  const envoyConfig = new kplus.ConfigMap(proxy, 'Resource', { data: { 'envoy.yaml': ENVOY_YAML } });
  web.addInitContainer({
    name: 'envoy',
    image: 'envoyproxy/envoy:v1.39.6',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    restartPolicy: kplus.ContainerRestartPolicy.ALWAYS,
    args: ['-c', '/etc/envoy/envoy.yaml', '--concurrency', '2', '--drain-time-s', '10', '--drain-strategy', 'immediate', '--disable-hot-restart'],
    ports: [
      { number: 15001, name: 'envoy-outbound' },
      { number: 15006, name: 'envoy-inbound' },
      { number: 15000, name: 'envoy-admin' },
      { number: 15090, name: 'envoy-stats' },
    ],
    resources: resources([100, 500], [128, 512]),
    securityContext: restricted(101, 101),
    readiness: httpGet('/ready', 15090, 5, 2),
    liveness: httpGet('/live', 15090, 10, 3, 2, 10),
    lifecycle: {
      postStart: kplus.Handler.fromCommand(['bash', '-c', ENVOY_READY]),
      preStop: kplus.Handler.fromCommand(['bash', '-c', ENVOY_DRAIN]),
    },
    volumeMounts: [
      { path: '/etc/envoy', volume: kplus.Volume.fromConfigMap(proxy, 'Config', envoyConfig, { name: 'envoy-config' }), readOnly: true },
    ],
  });
  return web;
}

export function build(chart: Chart, n: number): void {
  const webs: kplus.Deployment[] = [];
  for (let i = 0; i < n; i++) webs.push(pod(chart, i));

  const alerts = new Construct(chart, 'alerts');
  new ApiObject(alerts, 'Resource', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    spec: { groups: RULE_GROUPS },
  });
  new ApiObject(alerts, 'PodMonitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    spec: {
      namespaceSelector: { matchNames: [NAMESPACE] },
      podMetricsEndpoints: POD_METRICS_ENDPOINTS,
      selector: {
        matchExpressions: [{
          key: kplus.Pod.ADDRESS_LABEL,
          operator: 'In',
          values: webs.map(w => w.matchLabels[kplus.Pod.ADDRESS_LABEL]).sort(),
        }],
      },
    },
  });
}
