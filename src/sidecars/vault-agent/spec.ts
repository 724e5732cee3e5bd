import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { renderAgentConfig } from './agent-config';
import { VAULT_AGENT_ALERT_PACK } from './alerts';
import { VAULT_AGENT_DASHBOARD_PACK } from './dashboard';
import { checkCertificates, checkOptions, checkWebhookUrl, CheckedCertificate, renderedFiles } from './options';
import type { VaultAgentSidecarProps } from './sidecar';
import { dnsLabelFrom } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarCompanion, SidecarMode, SidecarSpec } from '../../core/sidecar';
import { SIGTERM_PID_1, SpecContext } from '../../core/spec';
import { SidecarVolume, SidecarVolumeSource, SidecarVolumeWriters } from '../../core/volumes';

export const DEFAULT_NAME = 'vault-agent';
const DEFAULT_SECRETS_DIR = '/vault/secrets';
export const CONFIG_DIR = '/vault/config';
/** The directory the injector mounts the CA Secret at, and the sidecar its CA volume. */
export const TLS_DIR = '/vault/tls';
export const TOKEN_FILE = 'token';
/** The image's `vault` user: `adduser -S` (a system user, uid 100) in the group `addgroup vault` makes (gid 1000). */
export const VAULT_UID = 100;
export const VAULT_GID = 1000;
const MAIN_CONFIG = 'agent.hcl';
const INIT_CONFIG = 'agent-init.hcl';
const TOKEN_DIR = '/var/run/secrets/vault.hashicorp.com/serviceaccount';
const HOME = '/home/vault';
const APPROLE_DIR = '/vault/approle';
const CLIENT_TLS_DIR = '/vault/tls-client';
const CACHE_DIR = '/vault/agent-cache';
const DEFAULT_AGENT_PORT = 8100;
const AGENT_PORT_NAME = 'vault-agent';
/** On the pod template when TLS verification is off: loud in reviews and for admission policies. */
export const INSECURE_ANNOTATION = 'vault.cdk8s-sidecars.io/insecure-skip-tls-verify';
const METRICS_PORT_NAME = 'vault-metrics';
// The agent picks the format from `format` or the Accept header; ask explicitly.
const METRICS_PATH = '/agent/v1/metrics?format=prometheus';
/** How long the start waits for the secrets to be rendered (the gate hook's bound). */
const STARTUP_TIMEOUT_SECONDS = 300;
/**
 * NATIVE: stops the agent at the start of the deletion, in parallel with the app's own
 * stop (the rendered files stay on the volume until the pod is gone). The agent is PID 1
 * (`command: ['vault']`, not the image's entrypoint script) and handles SIGTERM: `vault
 * agent` gets `ShutdownCh: MakeShutdownCh()` (hashicorp/vault command/commands.go,
 * `signal.Notify(shutdownCh, os.Interrupt, syscall.SIGTERM)`), and `AgentCommand.Run`
 * (command/agent.go) returns from its run group on `<-c.ShutdownCh` ("Vault agent shutdown
 * triggered"), which cancels the auth, sink and template servers. `kill` is a builtin of
 * the image's BusyBox `sh` (Alpine): `SIGTERM_PID_1` returns at once, before the agent has exited.
 */
const STOP_WITH_APP = SIGTERM_PID_1;

/** The name of the volume the secrets are rendered to. */
export function secretsVolumeName(name: string): string {
  return dnsLabelFrom(name, 'secrets');
}

/**
 * Vault Agent as a sidecar spec. The agent reads its config and templates at start:
 * the core rolls the pods when they change.
 *
 * - NATIVE: one native sidecar (`agent.hcl`) renders before the app and keeps renewing.
 * - LEGACY: the companion `<name>-init` renders once (`agent-init.hcl`,
 *   `exit_after_auth`), then an ordinary container keeps renewing (`agent.hcl`).
 * - LEGACY on a pod that runs to completion: the render-once step alone, as the
 *   Job-safe legacy form (no listener, no metrics).
 */
export function vaultAgentSpec(props: VaultAgentSidecarProps, { name, mode, runsToCompletion, checks, fail }: SpecContext): SidecarSpec {
  const options = checkOptions(props, checks);
  const secretsDir = checks.directory('secretsDir', props.secretsDir ?? DEFAULT_SECRETS_DIR);
  const sizeLimit = props.secretsSizeLimit ?? Size.mebibytes(4);
  checks.mebibytes('secretsSizeLimit', sizeLimit);
  const metricsPort = checks.port('metricsPort', props.metricsPort ?? 8201);
  const agentPort = checks.port('agentPort', props.agentPort ?? DEFAULT_AGENT_PORT);
  checks.distinctPorts({ metricsPort, agentPort });
  const apiProxy = props.apiProxy ?? false;
  const legacy = mode === SidecarMode.LEGACY;
  const renderOnceOnly = legacy && runsToCompletion;
  // The LEGACY pair shares a persistent lease cache: the long-running agent restores the
  // render-once step's token and leases instead of fetching (dynamic) secrets again.
  const persistentCache = legacy && !runsToCompletion;
  const auth = options.auth;
  const certificates = checkCertificates(props.certificates, options.secrets.map(s => s.name), checks);
  const webhookUrl = checkWebhookUrl(props.webhookUrl, checks);

  const volumes: SidecarVolume[] = [
    {
      name: secretsVolumeName(name),
      source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit }),
      path: secretsDir,
      appPath: secretsDir,
      appReadOnly: true,
      writers: SidecarVolumeWriters.SIDECAR_ONLY,
    },
    {
      name: dnsLabelFrom(name, 'home'),
      source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(1) }),
      path: HOME,
    },
  ];
  const methodConfig: { [key: string]: string | boolean } = { ...auth.config };
  if (auth.token !== undefined) {
    volumes.push({
      name: dnsLabelFrom(name, 'sa-token'),
      source: SidecarVolumeSource.serviceAccountToken({ path: TOKEN_FILE, audience: auth.token.audience, expiration: auth.token.expiration }),
      path: TOKEN_DIR,
      readOnly: true,
    });
    methodConfig[auth.type === 'jwt' ? 'path' : 'token_path'] = `${TOKEN_DIR}/${TOKEN_FILE}`;
  }
  if (auth.appRole !== undefined) {
    const a = auth.appRole;
    for (const [what, secret, key] of [['role-id', a.roleIdSecret, a.roleIdKey], ['secret-id', a.secretIdSecret, a.secretIdKey]] as const) {
      volumes.push({
        name: dnsLabelFrom(name, what),
        source: SidecarVolumeSource.secret(secret, { items: { [key]: what } }),
        path: `${APPROLE_DIR}/${what}`,
        readOnly: true,
      });
    }
    methodConfig.role_id_file_path = `${APPROLE_DIR}/role-id/role-id`;
    methodConfig.secret_id_file_path = `${APPROLE_DIR}/secret-id/secret-id`;
  }
  const ca = options.ca;
  if (ca !== undefined) {
    const items = { items: { [ca.key]: ca.key } };
    volumes.push({
      name: dnsLabelFrom(name, 'tls'),
      source: ca._configMap !== undefined ? SidecarVolumeSource.configMap(ca._configMap, items) : SidecarVolumeSource.secret(ca._secret!, items),
      path: TLS_DIR,
      readOnly: true,
    });
  }
  const client = options.clientCertificate;
  if (client !== undefined) {
    volumes.push({
      name: dnsLabelFrom(name, 'client-tls'),
      source: SidecarVolumeSource.secret(client.secret, { items: { [client.certificateKey]: 'tls.crt', [client.privateKeyKey]: 'tls.key' } }),
      path: CLIENT_TLS_DIR,
      readOnly: true,
    });
  }
  if (persistentCache) {
    volumes.push({
      name: dnsLabelFrom(name, 'cache'),
      source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(8) }),
      path: CACHE_DIR,
    });
    if (auth.token === undefined) {
      // The kubernetes persistent cache reads the pod's service-account token.
      volumes.push({
        name: dnsLabelFrom(name, 'sa-token'),
        source: SidecarVolumeSource.serviceAccountToken({ path: TOKEN_FILE, expiration: options.expiration }),
        path: TOKEN_DIR,
        readOnly: true,
      });
    }
  }

  const configFiles: { [file: string]: string } = {};
  for (const s of options.secrets) configFiles[`${s.name}.ctmpl`] = s.template;
  for (const c of certificates) configFiles[`${c.name}.crt.ctmpl`] = certificateTemplate(c, secretsDir);
  // After each render, tell the app (best effort: a failed call must not stop the agent).
  const notify = (file: string) => webhookUrl === undefined ? undefined
    : ['sh', '-c', `wget -q -T 10 -O /dev/null --post-data=${shellWord(file)} ${shellWord(webhookUrl)} || true`];
  const templates = [
    ...options.secrets.map(s => ({ source: `${CONFIG_DIR}/${s.name}.ctmpl`, destination: `${secretsDir}/${s.name}`, command: notify(s.name) })),
    ...certificates.map(c => ({ source: `${CONFIG_DIR}/${c.name}.crt.ctmpl`, destination: `${secretsDir}/${c.name}.crt`, command: notify(`${c.name}.crt`) })),
  ];
  const config = (once: boolean) => renderAgentConfig({
    once,
    address: options.address,
    caCert: ca ? `${TLS_DIR}/${ca.key}` : undefined,
    tlsServerName: options.tlsServerName,
    clientCert: client ? `${CLIENT_TLS_DIR}/tls.crt` : undefined,
    clientKey: client ? `${CLIENT_TLS_DIR}/tls.key` : undefined,
    tlsSkipVerify: options.insecureSkipTlsVerify,
    namespace: options.namespace,
    method: { type: auth.type, mountPath: auth.mountPath, config: methodConfig },
    sinkPath: `${HOME}/.vault-token`,
    templates,
    metricsPort,
    persistentCache: persistentCache ? { path: CACHE_DIR, serviceAccountTokenFile: `${TOKEN_DIR}/${TOKEN_FILE}` } : undefined,
    localPort: agentPort,
    apiProxy: apiProxy && !once,
  }, fail);
  if (!renderOnceOnly) configFiles[MAIN_CONFIG] = config(false);
  if (legacy) configFiles[INIT_CONFIG] = config(true);
  const agent = (file: string) => ['agent', `-config=${CONFIG_DIR}/${file}`];
  const companions: SidecarCompanion[] = legacy && !runsToCompletion ? [{ name: `${name}-init`, args: agent(INIT_CONFIG) }] : [];

  const localListener = !renderOnceOnly && apiProxy;
  const appEnvVariables: { [name: string]: kplus.EnvValue } = { VAULT_SECRETS_PATH: kplus.EnvValue.fromValue(secretsDir) };
  if (apiProxy) {
    if (renderOnceOnly) {
      fail('VAULT_API_PROXY_INVALID', 'the API proxy needs a long-running agent, but a LEGACY agent on a pod that runs to completion only renders once',
        'use SidecarMode.NATIVE (the agent runs next to the Job\'s containers), or drop \'apiProxy\'');
    }
    appEnvVariables.VAULT_ADDR = kplus.EnvValue.fromValue(`http://127.0.0.1:${agentPort}`);
  }
  const podAnnotations = options.insecureSkipTlsVerify ? { [INSECURE_ANNOTATION]: 'true' } : undefined;

  const files = renderedFiles(options.secrets, certificates).map(f => shellWord(`${secretsDir}/${f}`));
  return {
    image: props.image ?? SidecarImages.VAULT,
    imageUser: VAULT_UID,
    imageGroup: VAULT_GID,
    kind: 'vault-agent',
    profile: SidecarProfile.SECRET_INJECTION,
    alertPack: VAULT_AGENT_ALERT_PACK,
    dashboardPack: VAULT_AGENT_DASHBOARD_PACK,
    // The binary itself: the image's entrypoint script tries setcap and su-exec.
    command: ['vault'],
    args: agent(renderOnceOnly ? INIT_CONFIG : MAIN_CONFIG),
    ports: renderOnceOnly ? [] : [
      { number: metricsPort, name: METRICS_PORT_NAME, prop: 'metricsPort' },
      ...(localListener ? [{ number: agentPort, name: AGENT_PORT_NAME, prop: 'agentPort' }] : []),
    ],
    metrics: renderOnceOnly ? undefined : { portName: METRICS_PORT_NAME, path: METRICS_PATH },
    // The gate, in both modes: a postStart hook that returns once every secret has been
    // rendered (a non-empty file), for up to 5 minutes.
    startupCommand: waitRenderedCommand(files, STARTUP_TIMEOUT_SECONDS),
    // The app talks to Vault through the agent's listener (apiProxy) until it has stopped:
    // the agent then stays in the kubelet's termination order, after the app.
    stopWithAppCommand: apiProxy ? undefined : STOP_WITH_APP,
    configFiles,
    configDir: CONFIG_DIR,
    volumes,
    companions,
    appEnvVariables,
    podAnnotations,
    legacyJobInitContainer: true,
  };
}

/**
 * Blocks until every file is a non-empty file, polling every 0.1 s, for at most
 * `timeoutSeconds` (then fails: the kubelet kills and restarts the container). The image
 * is Alpine: `sh`, `test` and `sleep` are BusyBox's, whose `sleep` takes fractions in
 * Alpine's build (`CONFIG_FEATURE_FLOAT_SLEEP=y` in alpinelinux/aports
 * main/busybox/busyboxconfig). The loop counts its rounds (each at least 0.1 s), as BusyBox
 * `sh` has no clock of bash's `SECONDS` kind to rely on.
 */
export function waitRenderedCommand(files: string[], timeoutSeconds: number): string[] {
  const rounds = timeoutSeconds * 10;
  const script = [
    'i=0',
    `while [ "$i" -lt ${rounds} ]; do`,
    `  if ${files.map(f => `test -s ${f}`).join(' && ')}; then exit 0; fi`,
    '  sleep 0.1',
    '  i=$((i + 1))',
    'done',
    `echo "vault-agent had not rendered the secrets after ${timeoutSeconds}s" >&2`,
    'exit 1',
  ].join('\n');
  return ['sh', '-c', script];
}

/**
 * A certificate's template: consul-template's `pkiCert` issues (and, past the agent's
 * lease_renewal_threshold of its TTL, re-issues) the certificate; the template writes the
 * certificate, `writeToFile` the key and the CA next to it (mode 0644, like every rendered
 * file: the volume is mounted read-only into this pod's app containers only). Every value
 * is a Go string literal (JSON's escapes are Go's), and was checked as a path, DNS name or IP.
 */
function certificateTemplate(c: CheckedCertificate, dir: string): string {
  const args = [
    c.issuePath,
    `common_name=${c.commonName}`,
    ...(c.altNames.length > 0 ? [`alt_names=${c.altNames.join(',')}`] : []),
    ...(c.ipSans.length > 0 ? [`ip_sans=${c.ipSans.join(',')}`] : []),
    `ttl=${c.ttlSeconds}s`,
  ].map(a => JSON.stringify(a)).join(' ');
  const write = (file: string) => `writeToFile ${JSON.stringify(`${dir}/${file}`)} "" "" "0644"`;
  return [
    `{{- with pkiCert ${args} -}}`,
    `{{ .Cert }}{{ .Key | ${write(`${c.name}.key`)} }}{{ .CA | ${write(`${c.name}-ca.crt`)} }}`,
    '{{- end }}',
    '',
  ].join('\n');
}

/** `word` as one `sh` word: as it is when it has only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.\/-]+$/.test(word) ? word : `'${word.replace(/'/g, '\'\\\'\'')}'`;
}
