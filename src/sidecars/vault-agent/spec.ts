import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { renderAgentConfig } from './agent-config';
import { VAULT_AGENT_ALERT_PACK } from './alerts';
import { checkOptions } from './options';
import type { VaultAgentSidecarProps } from './sidecar';
import { dnsLabelFrom } from '../../core/checks';
import { SidecarImages } from '../../core/images';
import { SidecarProfile } from '../../core/profile';
import { SidecarCompanion, SidecarMode, SidecarSpec } from '../../core/sidecar';
import { SpecContext } from '../../core/spec';
import { SidecarVolume, SidecarVolumeSource, SidecarVolumeWriters } from '../../core/volumes';

export const DEFAULT_NAME = 'vault-agent';
export const DEFAULT_SECRETS_DIR = '/vault/secrets';
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
const METRICS_PORT_NAME = 'vault-metrics';
// The agent picks the format from `format` or the Accept header; ask explicitly.
const METRICS_PATH = '/agent/v1/metrics?format=prometheus';

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
  const legacy = mode === SidecarMode.LEGACY;
  const renderOnceOnly = legacy && runsToCompletion;

  const configFiles: { [file: string]: string } = {};
  for (const s of options.secrets) configFiles[`${s.name}.ctmpl`] = s.template;
  const config = (once: boolean) => renderAgentConfig({
    once,
    address: options.address,
    caCert: options.ca ? `${TLS_DIR}/${options.ca.key}` : undefined,
    authPath: options.authPath,
    role: options.role,
    tokenPath: `${TOKEN_DIR}/${TOKEN_FILE}`,
    sinkPath: `${HOME}/.vault-token`,
    templates: options.secrets.map(s => ({ source: `${CONFIG_DIR}/${s.name}.ctmpl`, destination: `${secretsDir}/${s.name}` })),
    metricsPort,
  }, fail);
  if (!renderOnceOnly) configFiles[MAIN_CONFIG] = config(false);
  if (legacy) configFiles[INIT_CONFIG] = config(true);
  const agent = (file: string) => ['agent', `-config=${CONFIG_DIR}/${file}`];
  const companions: SidecarCompanion[] = legacy && !runsToCompletion ? [{ name: `${name}-init`, args: agent(INIT_CONFIG) }] : [];

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
    {
      name: dnsLabelFrom(name, 'sa-token'),
      source: SidecarVolumeSource.serviceAccountToken({ path: TOKEN_FILE, audience: options.audience, expiration: options.expiration }),
      path: TOKEN_DIR,
      readOnly: true,
    },
  ];
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

  const files = options.secrets.map(s => shellWord(`${secretsDir}/${s.name}`));
  return {
    image: props.image ?? SidecarImages.VAULT,
    imageUser: VAULT_UID,
    imageGroup: VAULT_GID,
    kind: 'vault-agent',
    profile: SidecarProfile.SECRET_INJECTION,
    alertPack: VAULT_AGENT_ALERT_PACK,
    // The binary itself: the image's entrypoint script tries setcap and su-exec.
    command: ['vault'],
    args: agent(renderOnceOnly ? INIT_CONFIG : MAIN_CONFIG),
    ports: renderOnceOnly ? [] : [{ number: metricsPort, name: METRICS_PORT_NAME, prop: 'metricsPort' }],
    metrics: renderOnceOnly ? undefined : { portName: METRICS_PORT_NAME, path: METRICS_PATH },
    // Ready once every secret has been rendered (a non-empty file).
    startup: kplus.Probe.fromCommand(['sh', '-c', files.map(f => `test -s ${f}`).join(' && ')], {
      periodSeconds: Duration.seconds(2),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold: 150,
    }),
    configFiles,
    configDir: CONFIG_DIR,
    volumes,
    companions,
    appEnvVariables: { VAULT_SECRETS_PATH: kplus.EnvValue.fromValue(secretsDir) },
    legacyJobInitContainer: true,
  };
}

/** `word` as one `sh` word: as it is when it has only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.\/-]+$/.test(word) ? word : `'${word.replace(/'/g, '\'\\\'\'')}'`;
}
