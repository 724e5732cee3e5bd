import { execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from '@cdktf/hcl2json';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { decodeHcl1, inHcl1Shape } from './hcl1';
import { Sidecar, SidecarMode, SidecarPlacement, SidecarProfile, SidecarVolumeSource, SidecarVolumeWriters } from '../../../src/core';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import {
  VaultAgentInjector, VaultAgentInjectorProps, VaultAgentSidecar, VaultAgentSidecarProps, VaultAuthMethod, VaultCaCertificate,
  VaultClientCertificate, VaultGcpAuthType,
} from '../../../src/sidecars/vault-agent';
import { attr, block, hclString, renderHcl } from '../../../src/sidecars/vault-agent/hcl';
import { vaultAgentSpec, waitRenderedCommand } from '../../../src/sidecars/vault-agent/spec';
import { container, containerOrder, find, newChart, podMetadata, podSpec, runCommand, synth, webDeployment } from '../../util';

const DB = { name: 'db-creds', path: 'database/creds/myapp-db' };
const API_KEY_TEMPLATE = '{{- with secret "secret/data/myapp/api-key" -}}\n{{ .Data.data.key }}\n{{- end }}\n';
const API_KEY = { name: 'api-key', path: 'secret/data/myapp/api-key', template: API_KEY_TEMPLATE };
const W = "workload 'test/web', sidecar 'vault-agent'";
const INSECURE = 'vault.cdk8s-sidecars.io/insecure-skip-tls-verify';

/** The start of an error message: its code and who it is about. */
function error(code: string, who = W): string {
  return `[${code}] ${who}: `;
}

/** The config as hcl2json decodes it, once HCL 1, which the agent reads, has decoded the same values. */
async function hcl(configMap: any, key: string): Promise<any> {
  const text = configMap.data[key];
  const parsed = await parse(key, text);
  expect(decodeHcl1(text)).toEqual(inHcl1Shape(parsed));
  return parsed;
}

/**
 * The keys Vault Agent 1.19's config parser reads, block by block, copied from the
 * upstream structs (the oracle, independent of the library): command/agent/config/config.go
 * (`Config`, `Vault`, `AutoAuth`, `Method`, `Sink`, `Cache`, `APIProxy`, `TemplateConfig`),
 * command/agentproxyshared/cache (`PersistConfig`), consul-template's `TemplateConfig` and
 * `ExecConfig` for `template`, internalshared/configutil for `listener` and `telemetry`,
 * and each auth method's `conf.Config[...]` reads in command/agentproxyshared/auth/<method>/.
 * The agent refuses unknown keys only in `template` (decoded with mapstructure's ErrorUnused)
 * and ignores them elsewhere, where a misspelt key would silently do nothing: here every
 * unknown key is an error.
 */
const AGENT_KEYS: { [block: string]: string[] } = {
  '': ['pid_file', 'exit_after_auth', 'auto_auth', 'cache', 'api_proxy', 'vault', 'template', 'template_config', 'listener', 'telemetry', 'disable_idle_connections', 'disable_keep_alives', 'env_template', 'exec'],
  'vault': ['address', 'ca_cert', 'ca_path', 'tls_skip_verify', 'client_cert', 'client_key', 'tls_server_name', 'namespace', 'retry'],
  'auto_auth': ['method', 'sink', 'enable_reauth_on_new_credentials'],
  'auto_auth.method': ['mount_path', 'wrap_ttl', 'min_backoff', 'max_backoff', 'namespace', 'exit_on_err', 'config'],
  'auto_auth.sink': ['wrap_ttl', 'dh_type', 'derive_key', 'dh_path', 'aad', 'aad_env_var', 'config'],
  'auto_auth.sink.config': ['path', 'mode'],
  'cache': ['use_auto_auth_token', 'enforce_consistency', 'when_inconsistent', 'persist', 'cache_static_secrets', 'disable_caching_dynamic_secrets', 'static_secret_token_capability_refresh_interval'],
  'cache.persist': ['type', 'path', 'keep_after_import', 'exit_on_err', 'service_account_token_file'],
  'api_proxy': ['use_auto_auth_token', 'enforce_consistency', 'when_inconsistent', 'prepend_configured_namespace'],
  'template_config': ['exit_on_retry_failure', 'static_secret_render_interval', 'max_connections_per_host', 'lease_renewal_threshold'],
  'template': ['source', 'destination', 'contents', 'command', 'command_timeout', 'error_on_missing_key', 'exec', 'perms', 'backup', 'left_delimiter', 'right_delimiter', 'function_denylist', 'sandbox_path', 'create_dest_dirs', 'wait', 'uid', 'gid', 'error_fatal'],
  'template.exec': ['command', 'timeout'],
  'listener': ['address', 'tls_disable', 'role', 'tls_cert_file', 'tls_key_file', 'tls_min_version', 'agent_api', 'require_request_header'],
  'telemetry': ['prometheus_retention_time', 'disable_hostname', 'usage_gauge_period', 'maximum_gauge_cardinality', 'statsd_address', 'statsite_address', 'enable_hostname_label'],
};
/** Each auth method's `config` keys (command/agentproxyshared/auth/<method>/<method>.go). */
const METHOD_CONFIG_KEYS: { [method: string]: string[] } = {
  kubernetes: ['role', 'token_path'],
  jwt: ['role', 'path', 'remove_jwt_after_reading', 'remove_jwt_follows_symlinks', 'jwt_read_period'],
  approle: ['role_id_file_path', 'secret_id_file_path', 'remove_secret_id_file_after_reading', 'secret_id_response_wrapping_path'],
  aws: ['type', 'role', 'region', 'header_value', 'access_key', 'secret_key', 'session_token', 'nonce', 'credential_poll_interval'],
  gcp: ['type', 'role', 'credentials', 'service_account', 'project', 'jwt_exp'],
};
/** Blocks with a type label (`method "kubernetes" {}`), as hcl2json decodes them: `{ method: { kubernetes: [...] } }`. */
const LABELLED = new Set(['auto_auth.method', 'auto_auth.sink', 'cache.persist', 'listener']);

/** Fails on any key Vault Agent 1.19 does not read. */
function expectAgentKeys(config: any) {
  const unknown: string[] = [];
  const walk = (path: string, body: any) => {
    const allowed = AGENT_KEYS[path];
    for (const [key, value] of Object.entries(body)) {
      if (!allowed.includes(key)) unknown.push(`${path ? `${path}.` : ''}${key}`);
      const child = path ? `${path}.${key}` : key;
      if (AGENT_KEYS[child] === undefined && child !== 'auto_auth.method.config') continue;
      if (child === 'auto_auth.sink.config') continue;
      const bodies: Array<[string, any]> = LABELLED.has(child)
        ? Object.entries(value as any).flatMap(([label, list]) => (list as any[]).map(b => [label, b] as [string, any]))
        : (Array.isArray(value) ? value : [value]).map(b => ['', b] as [string, any]);
      for (const [label, b] of bodies) {
        if (child === 'auto_auth.method') {
          const { config: methodConfig, ...rest } = b;
          walk(child, rest);
          for (const k of Object.keys(methodConfig ?? {})) {
            if (!(METHOD_CONFIG_KEYS[label] ?? []).includes(k)) unknown.push(`auto_auth.method.${label}.config.${k}`);
          }
        } else {
          walk(child, b);
        }
      }
    }
  };
  walk('', config);
  expect(unknown).toEqual([]);
}

function vault(chart = newChart(), props: Partial<VaultAgentSidecarProps> = {}, workload?: kplus.AbstractPod) {
  const w = workload ?? webDeployment(chart);
  const sidecar = new VaultAgentSidecar(chart, 'secrets', { workload: w, role: 'myapp-role', secrets: [DB], ...props });
  return { chart, workload: w, sidecar };
}

function inject(chart: Chart, workload: kplus.AbstractPod, props: Partial<VaultAgentInjectorProps> = {}, id = 'inject') {
  return new VaultAgentInjector(chart, id, { workload, role: 'myapp-role', secrets: [DB], ...props });
}

describe('native (default)', () => {
  test('one native container renders before the app and keeps renewing', async () => {
    // GIVEN
    const { chart, sidecar } = vault(newChart(), { secrets: [DB, API_KEY] });

    // WHEN
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:vault-agent', 'app']);
    const agent = container(spec, 'vault-agent');
    expect(agent.restartPolicy).toBe('Always');
    expect(agent.image).toBe('hashicorp/vault:1.19.0');
    expect(agent.command).toEqual(['vault']);
    expect(agent.args).toEqual(['agent', '-config=/vault/config/agent.hcl']);
    // The app waits for it: a blocking postStart hook polls the files every 0.1 s, for up to
    // 5 minutes (3000 rounds), instead of a startup probe
    expect(agent.startupProbe).toBeUndefined();
    const gate: string[] = agent.lifecycle.postStart.exec.command;
    expect(gate.slice(0, 2)).toEqual(['sh', '-c']);
    expect(gate[2]).toContain('test -s /vault/secrets/db-creds && test -s /vault/secrets/api-key');
    expect(gate[2]).toContain('while [ "$i" -lt 3000 ]');
    expect(gate[2]).toContain('sleep 0.1');
    // It stops with the app: its preStop sends the agent (PID 1) SIGTERM at the deletion's start
    expect(agent.lifecycle.preStop).toEqual({ exec: { command: ['sh', '-c', 'kill -TERM 1'] } });
    expect(sidecar.stopsWithApp).toBe(true);
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(agent.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } });
    expect(agent.securityContext).toMatchObject({
      runAsUser: 100,
      runAsGroup: 1000,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(agent.ports).toEqual([{ containerPort: 8201, name: 'vault-metrics' }]);
    expect(sidecar.placement).toBe(SidecarPlacement.NATIVE_SIDECAR);
    expect(sidecar.kind).toBe('vault-agent');
    expect(sidecar.alertPack).toBe(VaultAgentSidecar.ALERT_PACK);
    expect(sidecar.gatesStartup).toBe(true);
    expect(sidecar.metrics).toEqual({ portName: 'vault-metrics', path: '/agent/v1/metrics?format=prometheus' });
    expect(sidecar.companions).toEqual([]);
    expect(sidecar.secretNames).toEqual(['db-creds', 'api-key']);
    expect(sidecar.secretsDir).toBe('/vault/secrets');
    expect(sidecar.secretFile('api-key')).toBe('/vault/secrets/api-key');
    expect(find(manifests, 'ConfigMap').metadata.name).toBe(sidecar.configMap!.name);
  });

  test('secrets on a memory emptyDir, read-only in the app; the token only in the agent', () => {
    // GIVEN
    const { chart, sidecar } = vault(newChart(), { tokenAudience: 'vault', tokenExpiration: Duration.minutes(20), secretsSizeLimit: Size.mebibytes(2) });

    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes['vault-agent-secrets']).toEqual({ name: 'vault-agent-secrets', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } });
    expect(volumes['vault-agent-home']).toEqual({ name: 'vault-agent-home', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(volumes['vault-agent-sa-token']).toEqual({
      name: 'vault-agent-sa-token',
      projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 1200 } }] },
    });
    expect(sidecar.secretsVolume.name).toBe('vault-agent-secrets');
    expect(spec.automountServiceAccountToken).toBe(false);
    const app = container(spec, 'app');
    expect(app.volumeMounts).toEqual([{ mountPath: '/vault/secrets', name: 'vault-agent-secrets', readOnly: true }]);
    expect(app.env).toEqual([{ name: 'VAULT_SECRETS_PATH', value: '/vault/secrets' }]);
    const agentMounts = container(spec, 'vault-agent').volumeMounts.map((m: any) => [m.name, m.mountPath, m.readOnly]);
    expect(agentMounts).toEqual([
      ['vault-agent-config', '/vault/config', true],
      ['vault-agent-secrets', '/vault/secrets', false],
      ['vault-agent-home', '/home/vault', false],
      ['vault-agent-sa-token', '/var/run/secrets/vault.hashicorp.com/serviceaccount', true],
    ]);
  });

  test('secretsDir moves the secrets in the agent, the app, the config and the startup hook', async () => {
    // GIVEN
    const { chart, sidecar } = vault(newChart(), { secretsDir: '/run/secrets/vault' });

    // WHEN
    const manifests = synth(chart);

    // THEN
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/run/secrets/vault', name: 'vault-agent-secrets', readOnly: true }]);
    expect(container(spec, 'app').env).toEqual([{ name: 'VAULT_SECRETS_PATH', value: '/run/secrets/vault' }]);
    expect(container(spec, 'vault-agent').lifecycle.postStart.exec.command[2]).toContain('if test -s /run/secrets/vault/db-creds; then exit 0; fi');
    expect((await hcl(find(manifests, 'ConfigMap'), 'agent.hcl')).template[0].destination).toBe('/run/secrets/vault/db-creds');
    expect(sidecar.secretFile('db-creds')).toBe('/run/secrets/vault/db-creds');
  });

  test('the agent configuration parses as HCL and says what it should', async () => {
    // GIVEN
    const { chart } = vault(newChart(), { secrets: [DB, API_KEY], address: 'http://vault.example.internal:8200/', authPath: 'auth/k8s-prod' });

    // WHEN
    const cm = find(synth(chart), 'ConfigMap');
    const config = await hcl(cm, 'agent.hcl');

    // THEN
    expect(Object.keys(cm.data).sort()).toEqual(['agent.hcl', 'api-key.ctmpl', 'db-creds.ctmpl']);
    expect(config.exit_after_auth).toBeUndefined();
    expect(config.vault).toEqual([{ address: 'http://vault.example.internal:8200' }]);
    expect(config.auto_auth).toEqual([{
      method: { kubernetes: [{ mount_path: 'auth/k8s-prod', config: { role: 'myapp-role', token_path: '/var/run/secrets/vault.hashicorp.com/serviceaccount/token' } }] },
      sink: { file: [{ config: { path: '/home/vault/.vault-token' } }] },
    }]);
    expect(config.template_config).toEqual([{ exit_on_retry_failure: true }]);
    expect(config.template).toEqual([
      { source: '/vault/config/db-creds.ctmpl', destination: '/vault/secrets/db-creds', error_on_missing_key: true },
      { source: '/vault/config/api-key.ctmpl', destination: '/vault/secrets/api-key', error_on_missing_key: true },
    ]);
    expect(config.listener).toEqual({ tcp: [{ address: '0.0.0.0:8201', tls_disable: true, role: 'metrics_only' }] });
    expect(config.telemetry).toEqual([{ prometheus_retention_time: '8760h', disable_hostname: true }]);
    expectAgentKeys(config);
    expect(cm.data['db-creds.ctmpl']).toBe('{{ with secret "database/creds/myapp-db" }}{{ .Data | toJSON }}{{ end }}\n');
    expect(cm.data['api-key.ctmpl']).toBe(API_KEY_TEMPLATE);
  });

  test('a CA certificate from a ConfigMap is mounted into the agent and named in the config', async () => {
    // GIVEN
    const chart = newChart();
    const ca = kplus.ConfigMap.fromConfigMapName(chart, 'ca', 'vault-ca');

    // WHEN
    vault(chart, { address: 'https://vault.vault.svc:8200', caCertificate: VaultCaCertificate.fromConfigMap(ca, 'vault-ca.pem') });
    const manifests = synth(chart);

    // THEN
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes.find((v: any) => v.name === 'vault-agent-tls')).toEqual({
      name: 'vault-agent-tls', configMap: { name: 'vault-ca', items: [{ key: 'vault-ca.pem', path: 'vault-ca.pem' }] },
    });
    expect(container(spec, 'vault-agent').volumeMounts).toContainEqual({ name: 'vault-agent-tls', mountPath: '/vault/tls', readOnly: true });
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');
    expect(config.vault).toEqual([{ address: 'https://vault.vault.svc:8200', ca_cert: '/vault/tls/vault-ca.pem' }]);
  });

  test('a CA certificate from a Secret', async () => {
    // GIVEN
    const chart = newChart();
    const ca = kplus.Secret.fromSecretName(chart, 'ca', 'vault-tls');

    // WHEN
    vault(chart, { address: 'https://vault.vault.svc:8200', caCertificate: VaultCaCertificate.fromSecret(ca) });
    const manifests = synth(chart);

    // THEN
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes.find((v: any) => v.name === 'vault-agent-tls')).toEqual({
      name: 'vault-agent-tls', secret: { secretName: 'vault-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');
    expect(config.vault).toEqual([{ address: 'https://vault.vault.svc:8200', ca_cert: '/vault/tls/ca.crt' }]);
  });

  test('a native Job: the agent is a native sidecar, so the Job completes', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'myapp:v1.0.0' }] });

    // WHEN
    vault(chart, {}, job);
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Job'));
    expect(containerOrder(spec)).toEqual(['init:vault-agent', 'migrate']);
    expect(container(spec, 'vault-agent').restartPolicy).toBe('Always');
  });

  // Issue #12, defect 4: with `user`, the gid was the uid; the image's group is 1000.
  test.each([1000, 4242])('user %d keeps the image\'s gid 1000', (user) => {
    // GIVEN
    const { chart } = vault(newChart(), { user });

    // WHEN
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN
    expect(container(spec, 'vault-agent').securityContext).toMatchObject({ runAsUser: user, runAsGroup: 1000 });
  });

  // Issue #12, defect 5: the ConfigMap was created in the sidecar's chart's namespace.
  test('the ConfigMap is in the workload\'s namespace, whatever the sidecar\'s chart', () => {
    // GIVEN the workload in 'production', the sidecar in a chart of namespace 'platform'
    const app = Testing.app();
    const apps = new Chart(app, 'test', { namespace: 'production' });
    const platform = new Chart(app, 'platform', { namespace: 'platform' });
    const web = webDeployment(apps);

    // WHEN
    const { sidecar } = vault(platform, {}, web);
    const configMap = find(synth(platform), 'ConfigMap');
    const spec = podSpec(find(synth(apps), 'Deployment'));

    // THEN the pod mounts a ConfigMap of its own namespace
    expect(configMap.metadata.namespace).toBe('production');
    expect(spec.volumes).toContainEqual({ name: 'vault-agent-config', configMap: { name: configMap.metadata.name } });
    expect(sidecar.configMap!.metadata.namespace).toBe('production');
  });
});

describe('config changes roll the pods', () => {
  test('the pod template carries a digest of the agent config and templates', () => {
    // GIVEN two pods that differ only in a secret's template
    const annotation = (template: string) => {
      const { chart } = vault(newChart(), { secrets: [{ ...DB, template }] });
      return find(synth(chart), 'Deployment').spec.template.metadata.annotations['config.cdk8s-sidecars.io/vault-agent'];
    };
    // WHEN / THEN
    expect(annotation('{{ .Data.username }}')).toMatch(/^[0-9a-f]{16}$/);
    expect(annotation('{{ .Data.username }}')).toBe(annotation('{{ .Data.username }}'));
    expect(annotation('{{ .Data.password }}')).not.toBe(annotation('{{ .Data.username }}'));
  });
});

describe('legacy', () => {
  test('Deployment: an init container renders once, a legacy container keeps renewing', async () => {
    // GIVEN
    const chart = newChart();
    Sidecar.setDefaultMode(chart, SidecarMode.LEGACY);

    const web = webDeployment(chart);
    web.addInitContainer({ name: 'migrate', image: 'myapp:v1.0.0', args: ['migrate'] });

    // WHEN
    const { sidecar } = vault(chart, {}, web);
    const manifests = synth(chart);

    // THEN the secrets are there before the app and before the workload's own init container
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:vault-agent-init', 'init:migrate', 'vault-agent', 'app']);
    // the render-once step shares the secrets with the workload's own init container
    expect(container(spec, 'migrate').volumeMounts).toEqual([{ mountPath: '/vault/secrets', name: 'vault-agent-secrets', readOnly: true }]);
    expect(container(spec, 'migrate').env).toEqual([{ name: 'VAULT_SECRETS_PATH', value: '/vault/secrets' }]);
    const init = container(spec, 'vault-agent-init');
    expect(init.restartPolicy).toBeUndefined();
    expect(init.startupProbe).toBeUndefined();
    expect(init.lifecycle).toBeUndefined();
    // The long-running agent gates with the same hook (the files are there: it returns at once);
    // it stops with the app as an ordinary container: no preStop
    const agent = container(spec, 'vault-agent');
    expect(agent.startupProbe).toBeUndefined();
    expect(Object.keys(agent.lifecycle)).toEqual(['postStart']);
    expect(agent.lifecycle.postStart.exec.command[2]).toContain('test -s /vault/secrets/db-creds');
    expect(sidecar.gatesStartup).toBe(true);
    expect(sidecar.stopsWithApp).toBe(false);
    expect(init.args).toEqual(['agent', '-config=/vault/config/agent-init.hcl']);
    expect(init.securityContext).toMatchObject({ runAsUser: 100, runAsGroup: 1000, readOnlyRootFilesystem: true });
    expect(init.volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-config', 'vault-agent-secrets', 'vault-agent-home', 'vault-agent-sa-token', 'vault-agent-cache']);
    expect(container(spec, 'vault-agent').args).toEqual(['agent', '-config=/vault/config/agent.hcl']);
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
    expect(sidecar.placement).toBe(SidecarPlacement.CONTAINER);
    expect(sidecar.companions.map(c => c.name)).toEqual(['vault-agent-init']);
    const cm = find(manifests, 'ConfigMap');
    const once = await hcl(cm, 'agent-init.hcl');
    expectAgentKeys(once);
    expect(once.exit_after_auth).toBe(true);
    expect(once.auto_auth[0].method.kubernetes[0].exit_on_err).toBe(true);
    expect(once.listener).toBeUndefined();
    expect(once.telemetry).toBeUndefined();
    expect(once.template).toEqual([{ source: '/vault/config/db-creds.ctmpl', destination: '/vault/secrets/db-creds', error_on_missing_key: true }]);
    expect((await hcl(cm, 'agent.hcl')).exit_after_auth).toBeUndefined();
  });

  // Issue #14, defect 9: the render-once step and the long-running agent each fetched the
  // secrets, so a dynamic secret's first lease was orphaned until its TTL.
  test('Deployment: the long-running agent restores the render-once step\'s leases from a persistent cache', async () => {
    // GIVEN
    const chart = newChart();
    const { workload } = vault(chart, { mode: SidecarMode.LEGACY });

    // WHEN
    const manifests = synth(chart);
    const cm = find(manifests, 'ConfigMap');
    const once = await hcl(cm, 'agent-init.hcl');
    const main = await hcl(cm, 'agent.hcl');

    // THEN both configs name the same cache (the kubernetes type, as vault-k8s's
    // agent-cache-enable does), in a memory emptyDir both containers mount
    const persist = { kubernetes: [{ path: '/vault/agent-cache', service_account_token_file: '/var/run/secrets/vault.hashicorp.com/serviceaccount/token' }] };
    for (const config of [once, main]) {
      expectAgentKeys(config);
      expect(config.cache).toEqual([{ persist }]);
      // the cache needs no listener when there are templates (config.go: "enabling the cache
      // requires at least 1 template or 1 listener")
      expect(config.listener?.tcp ?? []).not.toContainEqual(expect.objectContaining({ address: '127.0.0.1:8100' }));
    }
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes).toContainEqual({ name: 'vault-agent-cache', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } });
    for (const c of ['vault-agent-init', 'vault-agent']) {
      expect(container(spec, c).volumeMounts).toContainEqual({ name: 'vault-agent-cache', mountPath: '/vault/agent-cache', readOnly: false });
    }
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
    expect(workload).toBeDefined();
  });

  test('Job: only the init container (the Job-safe legacy form)', async () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'myapp:v1.0.0' }] });

    // WHEN
    const { sidecar } = vault(chart, { mode: SidecarMode.LEGACY }, job);
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Job'));
    expect(containerOrder(spec)).toEqual(['init:vault-agent', 'migrate']);
    const agent = container(spec, 'vault-agent');
    expect(agent.restartPolicy).toBeUndefined();
    expect(agent.ports).toBeUndefined();
    expect(agent.args).toEqual(['agent', '-config=/vault/config/agent-init.hcl']);
    expect(sidecar.placement).toBe(SidecarPlacement.INIT_CONTAINER);
    expect(sidecar.metrics).toBeUndefined();
    expect(sidecar.companions).toEqual([]);
    const cm = find(manifests, 'ConfigMap');
    expect(Object.keys(cm.data).sort()).toEqual(['agent-init.hcl', 'db-creds.ctmpl']);
    const once = await hcl(cm, 'agent-init.hcl');
    expectAgentKeys(once);
    expect(once.exit_after_auth).toBe(true);
    // Issue #14, defect 6: without exit_on_err the agent retries a failed login forever
    // (auth.go: retries are math.MaxInt unless exit_on_err) and the Job never ends.
    expect(once.auto_auth[0].method.kubernetes[0].exit_on_err).toBe(true);
    expect(once.cache).toBeUndefined();
    expect(spec.volumes.map((v: any) => v.name)).not.toContain('vault-agent-cache');
  });
});

describe('vaultAgentSpec (pure, no constructs added)', () => {
  function specOf(props: Partial<VaultAgentSidecarProps>, workload?: (chart: Chart) => kplus.AbstractPod) {
    const chart = newChart();
    const full: VaultAgentSidecarProps = { workload: (workload ?? webDeployment)(chart), role: 'myapp-role', secrets: [DB], ...props };
    const before = chart.node.findAll().length;
    const spec = vaultAgentSpec(full, specContext(chart, full, 'vault-agent'));
    expect(chart.node.findAll().length).toBe(before);
    return spec;
  }
  const job = (chart: Chart) => new kplus.Job(chart, 'web', { containers: [{ name: 'migrate', image: 'myapp:v1.0.0' }] });

  test('NATIVE: the image and its ids, one config, the volumes it declares, the app env', () => {
    // WHEN
    const spec = specOf({ address: 'https://vault.vault.svc:8200', secretsSizeLimit: Size.mebibytes(2), caCertificate: VaultCaCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'ca', 'vault-tls')) });

    // THEN
    expect(spec).toMatchObject({
      image: 'hashicorp/vault:1.19.0',
      imageUser: 100,
      imageGroup: 1000,
      kind: 'vault-agent',
      profile: SidecarProfile.SECRET_INJECTION,
      alertPack: VaultAgentSidecar.ALERT_PACK,
      command: ['vault'],
      args: ['agent', '-config=/vault/config/agent.hcl'],
      ports: [{ number: 8201, name: 'vault-metrics', prop: 'metricsPort' }],
      metrics: { portName: 'vault-metrics', path: '/agent/v1/metrics?format=prometheus' },
      configDir: '/vault/config',
      companions: [],
      legacyJobInitContainer: true,
    });
    expect(Object.keys(spec.configFiles!).sort()).toEqual(['agent.hcl', 'db-creds.ctmpl']);
    expect(spec.appEnvVariables!.VAULT_SECRETS_PATH.value).toBe('/vault/secrets');
    expect(spec.volumes!.map(v => [v.name, v.source.kind, v.path, v.readOnly, v.appPath, v.appReadOnly, v.writers, v.reuse])).toEqual([
      ['vault-agent-secrets', 'emptyDir', '/vault/secrets', undefined, '/vault/secrets', true, SidecarVolumeWriters.SIDECAR_ONLY, undefined],
      ['vault-agent-home', 'emptyDir', '/home/vault', undefined, undefined, undefined, undefined, undefined],
      ['vault-agent-sa-token', 'serviceAccountToken', '/var/run/secrets/vault.hashicorp.com/serviceaccount', true, undefined, undefined, undefined, undefined],
      ['vault-agent-tls', 'secret', '/vault/tls', true, undefined, undefined, undefined, undefined],
    ]);
    expect(spec.volumes![3].source._object).toBe('Secret \'vault-tls\'');
  });

  test('LEGACY: both configs and the render-once companion', () => {
    // WHEN
    const spec = specOf({ mode: SidecarMode.LEGACY, name: 'secrets' });

    // THEN
    expect(Object.keys(spec.configFiles!).sort()).toEqual(['agent-init.hcl', 'agent.hcl', 'db-creds.ctmpl']);
    expect(spec.companions).toEqual([{ name: 'secrets-init', args: ['agent', '-config=/vault/config/agent-init.hcl'] }]);
    expect(spec.args).toEqual(['agent', '-config=/vault/config/agent.hcl']);
    expect(spec.volumes!.map(v => v.name)).toEqual(['secrets-secrets', 'secrets-home', 'secrets-sa-token', 'secrets-cache']);
    expect(spec.ports).toEqual([{ number: 8201, name: 'vault-metrics', prop: 'metricsPort' }]);
  });

  test('LEGACY on a Job: the render-once step alone, without listener or metrics', () => {
    // WHEN
    const spec = specOf({ mode: SidecarMode.LEGACY }, job);

    // THEN
    expect(Object.keys(spec.configFiles!).sort()).toEqual(['agent-init.hcl', 'db-creds.ctmpl']);
    expect(spec.companions).toEqual([]);
    expect(spec.args).toEqual(['agent', '-config=/vault/config/agent-init.hcl']);
    expect([spec.ports, spec.metrics]).toEqual([[], undefined]);
  });

  test('NATIVE on a Job: the long-running agent', () => {
    // WHEN
    const spec = specOf({}, job);

    // THEN
    expect(Object.keys(spec.configFiles!).sort()).toEqual(['agent.hcl', 'db-creds.ctmpl']);
    expect(spec.companions).toEqual([]);
  });

  test('raises through the context, with codes', () => {
    // WHEN
    let raised: unknown;
    try {
      specOf({ role: 'a b' });
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'VAULT_ROLE_INVALID', problem: 'role "a b" is not a Vault role name' });
  });
});

describe('one Vault Agent per pod', () => {
  const conflict = (first: string, second: string) =>
    `${error('POD_CLAIM_CONFLICT')}${first} and ${second} both add a Vault Agent to the pod, so it would run two. Fix: keep one of them on this workload.`;

  test('a sidecar and the injector, in either order', () => {
    // GIVEN the injector first
    const chart = newChart();
    const web = webDeployment(chart);
    inject(chart, web);
    // WHEN
    vault(chart, {}, web);
    // THEN
    expect(() => synth(chart)).toThrow(conflict('VaultAgentInjector \'test/inject\'', 'sidecar \'vault-agent\''));

    // GIVEN the sidecar first
    const chart2 = newChart();
    const web2 = webDeployment(chart2);
    vault(chart2, {}, web2);
    // WHEN
    inject(chart2, web2);
    // THEN
    expect(() => synth(chart2)).toThrow(conflict('sidecar \'vault-agent\'', 'VaultAgentInjector \'test/inject\''));
  });

  test('two injectors', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    inject(chart, web);

    // WHEN
    inject(chart, web, { role: 'other' }, 'again');

    // THEN
    expect(() => synth(chart)).toThrow(conflict('VaultAgentInjector \'test/inject\'', 'VaultAgentInjector \'test/again\''));
  });

  test('two sidecars', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new VaultAgentSidecar(chart, 'a', { workload: web, name: 'vault-a', role: 'myapp-role', secrets: [DB] });

    // WHEN
    new VaultAgentSidecar(chart, 'b', { workload: web, name: 'vault-b', role: 'myapp-role', secrets: [DB], secretsDir: '/vault/b', metricsPort: 8202 });

    // THEN
    expect(() => synth(chart)).toThrow(conflict('sidecar \'vault-a\'', 'sidecar \'vault-b\''));
  });

  test('one agent on each of two workloads is fine', () => {
    // GIVEN
    const chart = newChart();

    // WHEN
    vault(chart, {}, webDeployment(chart, 'web'));
    inject(chart, webDeployment(chart, 'api'));

    // THEN
    expect(() => synth(chart)).not.toThrow();
  });
});

describe('injector', () => {
  test('annotations instead of containers, as the vault-k8s injector expects', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const injector = new VaultAgentInjector(chart, 'secrets', { workload: web, role: 'myapp-role', secrets: [DB, API_KEY] });
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const deployment = find(manifests, 'Deployment');
    const spec = podSpec(deployment);
    expect(containerOrder(spec)).toEqual(['app']);
    expect(spec.volumes).toEqual([{ name: 'vault-agent-injector-sa-token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
    expect(deployment.spec.template.metadata.annotations).toEqual({
      'vault.hashicorp.com/agent-inject': 'true',
      'vault.hashicorp.com/agent-inject-status': 'update',
      'vault.hashicorp.com/role': 'myapp-role',
      'vault.hashicorp.com/agent-image': 'hashicorp/vault:1.19.0',
      'vault.hashicorp.com/agent-run-as-user': '100',
      'vault.hashicorp.com/agent-run-as-group': '1000',
      'vault.hashicorp.com/agent-init-first': 'true',
      'vault.hashicorp.com/agent-pre-populate-only': 'false',
      'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-agent-injector-sa-token',
      'vault.hashicorp.com/preserve-secret-case': 'true',
      'vault.hashicorp.com/template-config-exit-on-retry-failure': 'true',
      'vault.hashicorp.com/agent-requests-cpu': '50m',
      'vault.hashicorp.com/agent-limits-cpu': '200m',
      'vault.hashicorp.com/agent-requests-mem': '64Mi',
      'vault.hashicorp.com/agent-limits-mem': '256Mi',
      'vault.hashicorp.com/agent-inject-secret-db-creds': 'database/creds/myapp-db',
      'vault.hashicorp.com/agent-inject-template-db-creds': '{{ with secret "database/creds/myapp-db" }}{{ .Data | toJSON }}{{ end }}\n',
      'vault.hashicorp.com/error-on-missing-key-db-creds': 'true',
      'vault.hashicorp.com/agent-inject-secret-api-key': 'secret/data/myapp/api-key',
      'vault.hashicorp.com/agent-inject-template-api-key': API_KEY_TEMPLATE,
      'vault.hashicorp.com/error-on-missing-key-api-key': 'true',
    });
    expect(injector.annotations['vault.hashicorp.com/role']).toBe('myapp-role');
  });

  test('CronJob: pre-populate only, CA from a Secret, resource overrides', () => {
    // GIVEN
    const chart = newChart();
    const cron = new kplus.CronJob(chart, 'report', {
      schedule: { expressionString: '0 3 * * *' } as any,
      containers: [{ name: 'report', image: 'myapp:v1.0.0' }],
    });
    const ca = kplus.Secret.fromSecretName(chart, 'ca', 'vault-tls');

    // WHEN
    new VaultAgentInjector(chart, 'secrets', {
      workload: cron,
      role: 'report',
      secrets: [DB],
      caCertificate: VaultCaCertificate.fromSecret(ca),
      resources: { memory: { limit: Size.mebibytes(128) } },
      tokenAudience: 'vault',
    });
    const annotations = find(synth(chart), 'CronJob').spec.jobTemplate.spec.template.metadata.annotations;

    // THEN
    expect(annotations).toMatchObject({
      'vault.hashicorp.com/agent-pre-populate-only': 'true',
      'vault.hashicorp.com/tls-secret': 'vault-tls',
      'vault.hashicorp.com/ca-cert': '/vault/tls/ca.crt',
      'vault.hashicorp.com/agent-limits-mem': '128Mi',
      'vault.hashicorp.com/agent-requests-mem': '64Mi',
    });
  });

  test('user and group: the image\'s gid stays unless set', () => {
    // GIVEN
    const chart = newChart();

    // WHEN
    inject(chart, webDeployment(chart), { user: 4242 });
    const annotations = find(synth(chart), 'Deployment').spec.template.metadata.annotations;

    // THEN
    expect(annotations['vault.hashicorp.com/agent-run-as-user']).toBe('4242');
    expect(annotations['vault.hashicorp.com/agent-run-as-group']).toBe('1000');
  });
});

describe('injection attempts', () => {
  const attempts = [
    'myapp-role"\n}\nlistener "tcp" {\n  address = "0.0.0.0:9999"',
    'role" address = "evil',
    'role${file("/etc/passwd")}',
    'role%{ if true }x%{ endif }',
    'a\\"b',
  ];

  test.each(attempts)('role %j is refused', (role) => {
    expect(() => vault(newChart(), { role })).toThrow(`${error('VAULT_ROLE_INVALID')}role ${JSON.stringify(role)} is not a Vault role name. Fix: use letters, digits, '_', '-' and '.', starting and ending with a letter, digit or '_' (Vault's own rule for role names).`);
  });

  test.each(attempts)('secret path %j is refused', (path) => {
    expect(() => vault(newChart(), { secrets: [{ name: 'x', path }] })).toThrow(`${error('VAULT_PATH_INVALID')}the path ${JSON.stringify(path)} of secret 'x' is not a Vault path.`);
  });

  test.each(attempts)('auth path %j is refused', (authPath) => {
    expect(() => vault(newChart(), { authPath })).toThrow(`${error('VAULT_PATH_INVALID')}auth path ${JSON.stringify(authPath)} is not a Vault path.`);
  });

  test.each(['https://vault"\n}\nlistener "tcp" {', 'https://vault.svc:8200/${x}', 'https://u:p@vault:8200', 'file:///etc/passwd', 'https://vault:8200?x=1'])('address %j is refused', (address) => {
    expect(() => vault(newChart(), { address })).toThrow(`${error('VAULT_ADDRESS_INVALID')}address ${JSON.stringify(address)} is not a Vault server URL. Fix: pass http(s)://host[:port], e.g. 'https://vault.vault.svc:8200', without credentials, path or query.`);
  });

  test('a hostile template stays a file of its own and adds nothing to the HCL', async () => {
    // GIVEN
    const template = '"\n}\nlistener "tcp" {\n  address = "0.0.0.0:9999"\n}\ntemplate {\n  destination = "/etc/passwd"\n${x} %{y}';
    const { chart } = vault(newChart(), { secrets: [{ name: 'db-creds', path: 'database/creds/myapp-db', template }] });

    // WHEN
    const cm = find(synth(chart), 'ConfigMap');
    const config = await hcl(cm, 'agent.hcl');

    // THEN
    expect(cm.data['db-creds.ctmpl']).toBe(template);
    expect(Object.keys(config).sort()).toEqual(['auto_auth', 'listener', 'telemetry', 'template', 'template_config', 'vault']);
    expect(config.listener).toEqual({ tcp: [{ address: '0.0.0.0:8201', tls_disable: true, role: 'metrics_only' }] });
    expect(config.template).toEqual([{ source: '/vault/config/db-creds.ctmpl', destination: '/vault/secrets/db-creds', error_on_missing_key: true }]);
    expect(cm.data['agent.hcl']).not.toContain('9999');
  });

  test('a hostile template in injector mode is only an annotation value', () => {
    // GIVEN
    const chart = newChart();
    const template = '"}\nvault.hashicorp.com/agent-inject: "false"';

    // WHEN
    new VaultAgentInjector(chart, 'secrets', { workload: webDeployment(chart), role: 'r', secrets: [{ name: 'x', path: 'secret/x', template }] });
    const annotations = find(synth(chart), 'Deployment').spec.template.metadata.annotations;

    // THEN
    expect(annotations['vault.hashicorp.com/agent-inject']).toBe('true');
    expect(annotations['vault.hashicorp.com/agent-inject-template-x']).toBe(template);
  });

  test('a secrets directory with shell characters is one word to the startup hook\'s shell', async () => {
    // GIVEN a secrets directory whose name would run a command if the shell read it as code
    const base = mkdtempSync(join(tmpdir(), 'vault-probe-'));
    try {
      const dir = join(base, 'a$(id>pwned)\'b`id>pwned`;c|d&&e');
      const { chart } = vault(newChart(), { secretsDir: dir, secrets: [DB, API_KEY] });
      const command: string[] = container(podSpec(find(synth(chart), 'Deployment')), 'vault-agent').lifecycle.postStart.exec.command;
      mkdirSync(dir);
      writeFileSync(join(dir, 'db-creds'), '{"password":"x"}');

      // WHEN the real shell runs the hook while one file is missing, and the file appears after 0.5 s
      const started = Date.now();
      const hook = runCommand(command, base);
      await new Promise(resolve => setTimeout(resolve, 500));
      const written = Date.now();
      writeFileSync(join(dir, 'api-key'), 'k');
      const result = await hook;

      // THEN it waited for the file and returned within a few 0.1 s polls of it, and ran nothing from the name
      expect(result).toEqual({ code: 0, stderr: '' });
      expect(Date.now()).toBeGreaterThanOrEqual(written);
      expect(Date.now() - written).toBeLessThan(1500);
      expect(written - started).toBeGreaterThanOrEqual(500);
      expect(existsSync(join(base, 'pwned'))).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 20000);

  test('the startup hook gives up after its timeout: the kubelet then kills and restarts the agent', async () => {
    // GIVEN the hook for a file that never appears, with a 1 s bound (the sidecar's is 300 s)
    const base = mkdtempSync(join(tmpdir(), 'vault-gate-'));
    try {
      const command = waitRenderedCommand([join(base, 'db-creds')], 1);

      // WHEN the real shell runs it
      const started = Date.now();
      const result = await runCommand(command, base);

      // THEN it fails after about 10 polls of 0.1 s, saying why
      expect(result).toEqual({ code: 1, stderr: 'vault-agent had not rendered the secrets after 1s\n' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 20000);

  test('the stop hook signals PID 1 of its PID namespace and returns at once', async () => {
    // GIVEN the agent's preStop command, and a process that records SIGTERM standing in for the
    // agent (in the container the agent is PID 1; here the script's PID is swapped for the stand-in's)
    const { chart } = vault();
    const preStop: string[] = container(podSpec(find(synth(chart), 'Deployment')), 'vault-agent').lifecycle.preStop.exec.command;

    // WHEN a real shell runs the script
    const child = spawn('sh', ['-c', 'trap "echo TERM; exit 0" TERM; echo READY; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Listening before anything can make it exit; signalling only once its trap is set.
    const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    let out = '';
    const ready = new Promise<void>(resolve => child.stdout.on('data', d => {
      out += String(d);
      if (out.startsWith('READY\n')) resolve();
    }));
    await ready;
    const started = Date.now();
    const result = await runCommand([preStop[0], preStop[1], preStop[2].replace(/ 1$/, ` ${child.pid}`)], tmpdir());
    const exited = await exit;

    // THEN the hook returned at once with success, and the process got SIGTERM and exited by itself
    expect(preStop).toEqual(['sh', '-c', 'kill -TERM 1']);
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(out).toBe('READY\nTERM\n');
    expect(exited).toBe(0);
  }, 20000);
});

describe('HCL renderer', () => {
  test('every string either round-trips through a real HCL parser as one value, or is refused', async () => {
    const hostile = fc.string({ unit: fc.constantFrom('"', '\\', '$', '%', '{', '}', '\n', '=', '#', '/', '*', ' ', 'a', '\u00e9', '\uf9f4'), maxLength: 12 });
    await fc.assert(fc.asyncProperty(fc.oneof(hostile, fc.string({ unit: 'grapheme', maxLength: 20 })), async (s) => {
      const refused = /[\u0000-\u001f\u007f]/.test(s) || s.includes('${') || s.includes('%{') || s !== s.normalize('NFC');
      if (refused) {
        expect(() => hclString(s)).toThrow('cannot be written to HCL');
        return;
      }
      const text = renderHcl([block('b', [s], [attr('k', s)]), attr('after', 1)]);
      const parsed = await parse('x.hcl', text);
      expect(Object.keys(parsed).sort()).toEqual(['after', 'b']);
      expect(parsed.b).toEqual({ [s]: [{ k: s }] });
      // HCL 1, which the agent reads, decodes the same.
      expect(decodeHcl1(text)).toEqual({ after: 1, b: [{ [s]: [{ k: s }] }] });
    }), { numRuns: 300 });
  });

  test.each([
    ['a\nb', 'it contains a control character (a newline, a tab, ...)'],
    ['a\tb', 'it contains a control character (a newline, a tab, ...)'],
    ['${x}', 'it contains \'${\' or \'%{\', which HCL reads as a template sequence'],
    ['%{ if x }', 'it contains \'${\' or \'%{\', which HCL reads as a template sequence'],
    ['\uf9f4', 'it is not in Unicode normalization form C, which HCL 2 applies and HCL 1 does not'],
  ])('refuses %j', (value, problem) => {
    expect(() => hclString(value)).toThrow(`${JSON.stringify(value)} cannot be written to HCL: ${problem}`);
  });

  test('escapes quotes and backslashes', async () => {
    const s = 'a"b\\c\\"d';
    expect(hclString(s)).toBe('"a\\"b\\\\c\\\\\\"d"');
    expect((await parse('x.hcl', renderHcl([attr('k', s)]))).k).toBe(s);
    expect(decodeHcl1(renderHcl([attr('k', s)])).k).toBe(s);
  });

  test('refuses a name that is not an identifier, and a number that is not an integer', () => {
    expect(() => renderHcl([attr('a b', 1)])).toThrow('\'a b\' is not an HCL identifier');
    expect(() => renderHcl([attr('a', 1.5)])).toThrow('1.5 is not an integer HCL can hold');
  });
});

describe('errors', () => {
  test.each([
    ['no secrets', { secrets: [] }, 'VAULT_SECRET_INVALID', 'no secrets to render. Fix: pass at least one secret in \'secrets\', e.g. { name: \'db-creds\', path: \'database/creds/myapp-db\' }.'],
    ['bad secret name', { secrets: [{ name: '../etc/passwd', path: 'secret/x' }] }, 'VAULT_SECRET_INVALID', 'secret name "../etc/passwd" is not a valid file name. Fix: use letters, digits, \'.\', \'_\' and \'-\', starting and ending with a letter or digit, at most 41 characters.'],
    ['secret name too long', { secrets: [{ name: 'a'.repeat(42), path: 'secret/x' }] }, 'VAULT_SECRET_INVALID', `secret name "${'a'.repeat(42)}" is not a valid file name.`],
    ['duplicate secret names', { secrets: [DB, { ...DB, path: 'secret/other' }] }, 'VAULT_SECRET_INVALID', 'two secrets are named \'db-creds\'. Fix: give every secret its own name (each is a file).'],
    ['empty template', { secrets: [{ name: 'x', path: 'secret/x', template: ' \n' }] }, 'VAULT_SECRET_INVALID', 'the template of secret \'x\' is empty. Fix: pass a Consul Template template, or leave \'template\' unset for the default JSON rendering.'],
    ['absolute secret path', { secrets: [{ name: 'x', path: '/secret/x' }] }, 'VAULT_PATH_INVALID', 'the path "/secret/x" of secret \'x\' is not a Vault path. Fix: pass a path such as \'secret/data/myapp/api-key\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments, no leading \'/\').'],
    ['secret path with ..', { secrets: [{ name: 'x', path: 'secret/../sys' }] }, 'VAULT_PATH_INVALID', 'the path "secret/../sys" of secret \'x\' is not a Vault path.'],
    ['bad auth path', { authPath: '/auth/kubernetes' }, 'VAULT_PATH_INVALID', 'auth path "/auth/kubernetes" is not a Vault path. Fix: pass the mount path of the Kubernetes auth method, e.g. \'auth/kubernetes\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments).'],
    ['bad token audience', { tokenAudience: 'vault "x"' }, 'VAULT_AUDIENCE_INVALID', 'token audience "vault \\"x\\"" is not valid. Fix: pass a name or URL such as \'vault\' (letters, digits, \'.\', \'_\', \':\', \'/\' and \'-\').'],
    ['token expiration too short', { tokenExpiration: Duration.minutes(5) }, 'DURATION_INVALID', '\'tokenExpiration\' is not a whole number of seconds of at least 600. Fix: pass e.g. Duration.seconds(600) as \'tokenExpiration\'.'],
    ['token expiration not whole seconds', { tokenExpiration: Duration.millis(700500) }, 'DURATION_INVALID', '\'tokenExpiration\' is not a whole number of seconds of at least 600.'],
    ['bad CA key', { caCertificate: VaultCaCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'ca', 'ca'), '../ca.crt') }, 'VAULT_CA_INVALID', 'CA certificate key "../ca.crt" is not a valid file name. Fix: name the ConfigMap or Secret key that holds the PEM certificate, e.g. \'ca.crt\'.'],
    ['secrets dir with whitespace', { secretsDir: '/vault/secrets; rm -rf /' }, 'PATH_INVALID', '\'secretsDir\' \'/vault/secrets; rm -rf /\' is not a canonical absolute path. Fix: pass an absolute path such as \'/var/log/app\' as \'secretsDir\' (no \'.\', \'..\', \'//\', trailing \'/\' or whitespace).'],
    ['relative secrets dir', { secretsDir: 'vault/secrets' }, 'PATH_INVALID', '\'secretsDir\' \'vault/secrets\' is not a canonical absolute path.'],
    ['secrets size limit', { secretsSizeLimit: Size.kibibytes(512) }, 'SIZE_INVALID', '\'secretsSizeLimit\' is not a positive whole number of MiB. Fix: pass e.g. Size.mebibytes(64) as \'secretsSizeLimit\'.'],
    ['metrics port', { metricsPort: 70000 }, 'PORT_INVALID', '\'metricsPort\' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'metricsPort\'.'],
    ['a template sequence in the secrets dir', { secretsDir: '/vault/${HOME}' }, 'VAULT_CONFIG_UNSAFE', 'a value of the agent configuration cannot be written safely: "/vault/${HOME}/db-creds" cannot be written to HCL: it contains \'${\' or \'%{\', which HCL reads as a template sequence. Fix: remove control characters, \'${\' and \'%{\' from the value (and write it in Unicode normalization form C).'],
    ['a secrets dir not in NFC', { secretsDir: '/vault/\uf9f4' }, 'VAULT_CONFIG_UNSAFE', 'cannot be written to HCL: it is not in Unicode normalization form C, which HCL 2 applies and HCL 1 does not. Fix: '],
  ] as Array<[string, Partial<VaultAgentSidecarProps>, string, string]>)('%s', (_label, props, code, message) => {
    expect(() => vault(newChart(), props)).toThrow(message.startsWith('cannot') ? message : `${error(code)}${message}`);
    expect(() => vault(newChart(), props)).toThrow(`[${code}] `);
  });

  test('secretFile() of a secret it does not render', () => {
    const { sidecar } = vault();
    expect(() => sidecar.secretFile('nope')).toThrow(`${error('VAULT_SECRET_UNKNOWN')}it renders no secret named 'nope' (it renders 'db-creds'). Fix: name one of the secrets passed in 'secrets'.`);
  });

  // Issue #12, defect 1: the agent got two volume mounts at one path, which the API server refuses.
  test.each([
    ['/vault/config', 'vault-agent-config', 'vault-agent-secrets'],
    ['/home/vault', 'vault-agent-secrets', 'vault-agent-home'],
  ])('secretsDir %s, where the agent mounts another volume, is refused at construction', (secretsDir, first, second) => {
    expect(() => vault(newChart(), { secretsDir })).toThrow(`${error('MOUNT_PATH_TAKEN')}container 'vault-agent' would mount both '${first}' and '${second}' at '${secretsDir}'.`);
  });

  test('the pod-wide checks apply: a second container named vault-agent', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }, { name: 'vault-agent', image: 'hashicorp/vault:1.19.0' }] });
    expect(() => vault(chart, {}, web)).toThrow(`${error('CONTAINER_NAME_TAKEN')}the pod already has a container named 'vault-agent'. Fix: give this sidecar another name with the 'name' prop.`);
  });

  // Found by the property-based tests: the agent reused the pod's volume of that name,
  // and rendered the secrets to disk, into a volume the app mounted read-write.
  test('a volume of the pod already has the secrets volume\'s name', () => {
    // GIVEN another sidecar that shares a disk-backed volume named 'vault-agent-secrets'
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'cache', {
      workload: web,
      image: 'rclone/rclone:1.68.2',
      volumes: [{ name: 'vault-agent-secrets', source: SidecarVolumeSource.emptyDir(), path: '/cache', appPath: '/cache', reuse: true }],
    });
    // WHEN / THEN
    expect(() => vault(chart, {}, web)).toThrow(`${error('VOLUME_NAME_TAKEN')}volume name 'vault-agent-secrets' is already taken by sidecar 'cache'.`);
  });

  // Found by the property-based tests: a sidecar sharing a volume of the same name
  // reused the agent's secrets volume and mounted it read-write into the app.
  test('another sidecar cannot reuse the secrets volume', () => {
    // GIVEN the agent
    const chart = newChart();
    const web = webDeployment(chart);
    vault(chart, {}, web);
    // WHEN / THEN a sidecar that shares 'vault-agent-secrets' is refused, naming the owner
    expect(() => new Sidecar(chart, 'cache', {
      workload: web,
      name: 'cache',
      image: 'rclone/rclone:1.68.2',
      volumes: [{ name: 'vault-agent-secrets', source: SidecarVolumeSource.emptyDir(), path: '/cache', appPath: '/cache', reuse: true }],
    })).toThrow(`${error('VOLUME_NAME_TAKEN', 'workload \'test/web\', sidecar \'cache\'')}volume name 'vault-agent-secrets' is already taken by sidecar 'vault-agent'.`);
  });

  test('the app mounts the secrets volume read-write itself', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const { sidecar } = vault(chart, {}, web);
    web.containers[0].mount('/secrets', sidecar.secretsVolume);
    expect(() => synth(chart)).toThrow(`${error('VOLUME_WRITER_FORBIDDEN', 'workload \'test/web\'')}container 'app' mounts volume 'vault-agent-secrets' read-write, but only sidecar 'vault-agent' may write it.`);
  });

  test('read-only readers of the secrets are fine', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.addInitContainer({ name: 'migrate', image: 'myapp:v1.0.0' });
    const { sidecar } = vault(chart, {}, web);
    web.containers[0].mount('/more-secrets', sidecar.secretsVolume, { readOnly: true });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'migrate').volumeMounts).toEqual([{ mountPath: '/vault/secrets', name: 'vault-agent-secrets', readOnly: true }]);
  });

  test('the pod-wide checks apply: the app on the metrics port', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8201 }] });
    vault(chart, {}, web);
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 8201/TCP ('metricsPort') is also used by container 'app' (containers of a pod share one network namespace). Fix: move one of them to a free port (set 'metricsPort', or the port of 'app').`);
  });

  describe('injector', () => {
    test.each([
      ['CA from a ConfigMap', { caCertificate: VaultCaCertificate.fromConfigMap(kplus.ConfigMap.fromConfigMapName(newChart(), 'ca', 'ca')) }, 'VAULT_CA_INVALID', 'the injector mounts a CA certificate from a Secret only. Fix: pass VaultCaCertificate.fromSecret(...).'],
      ['resources', { resources: { cpu: { request: kplus.Cpu.millis(300) } } }, 'RESOURCES_INVALID', 'CPU limit 200m is below the CPU request 300m. Fix: '],
      ['uid 0', { user: 0 }, 'USER_INVALID', 'uid 0 is not a non-root user. Fix: '],
      ['gid -1', { group: -1 }, 'USER_INVALID', 'gid -1 is not valid. Fix: pass a non-negative integer as \'group\'.'],
      ['unpinned image', { image: 'hashicorp/vault:latest' }, 'IMAGE_NOT_PINNED', 'image \'hashicorp/vault:latest\' is not pinned. Fix: use an exact tag or digest, never \'latest\' or no tag.'],
      ['bad role', { role: 'a"b' }, 'VAULT_ROLE_INVALID', 'role "a\\"b" is not a Vault role name.'],
      ['token expiration', { tokenExpiration: Duration.minutes(1) }, 'DURATION_INVALID', '\'tokenExpiration\' is not a whole number of seconds of at least 600.'],
    ] as Array<[string, Partial<VaultAgentInjectorProps>, string, string]>)('%s', (_label, props, code, message) => {
      const chart = newChart();
      expect(() => inject(chart, webDeployment(chart), props)).toThrow(`${error(code)}${message}`);
    });

    test('the pod already has a volume of the token volume\'s name', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      web.addVolume(kplus.Volume.fromEmptyDir(chart, 'v', 'vault-agent-injector-sa-token'));
      // WHEN / THEN
      expect(() => inject(chart, web)).toThrow(`${error('VOLUME_NAME_TAKEN')}the pod already has a volume named 'vault-agent-injector-sa-token' (in the pod's volumes).`);
    });
  });
});

describe('the agent-config oracle', () => {
  test('refuses keys Vault Agent does not read', () => {
    expect(() => expectAgentKeys({ vault: [{ adress: 'http://x' }] })).toThrow();
    expect(() => expectAgentKeys({ auto_auth: [{ method: { kubernetes: [{ config: { role: 'r', token_file: '/t' } }] } }] })).toThrow();
    expect(() => expectAgentKeys({ auto_auth: [{ method: { kubernetes: [{ exit_on_error: true, config: { role: 'r' } }] } }] })).toThrow();
    expect(() => expectAgentKeys({ auto_auth: [{ method: { kubernetes: [{ exit_on_err: true, config: { role: 'r', token_path: '/t' } }] } }] })).not.toThrow();
  });
});

describe('issue #14: the injector and the sidecar render the same', () => {
  /**
   * What vault-k8s 1.7.6 makes of the annotations (agent-inject/agent/annotations.go): the
   * file name of each `agent-inject-secret-<raw>` is <raw> lowercased unless
   * `preserve-secret-case` (global or `-<raw>`) parses as true (secretName, lines 696-707;
   * preserveSecretCase, 772-786), and its template's `error_on_missing_key` is
   * `error-on-missing-key-<raw>` parsed as a bool, false when absent (secrets(), 677-684).
   */
  function injectorFiles(annotations: { [key: string]: string }) {
    const bool = (v: string | undefined) => v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
    const prefix = 'vault.hashicorp.com/agent-inject-secret-';
    return Object.keys(annotations).filter(k => k.startsWith(prefix)).map(k => {
      const raw = k.slice(prefix.length);
      const preserve = annotations[`vault.hashicorp.com/preserve-secret-case-${raw}`] ?? annotations['vault.hashicorp.com/preserve-secret-case'];
      return { file: bool(preserve) ? raw : raw.toLowerCase(), errorOnMissingKey: bool(annotations[`vault.hashicorp.com/error-on-missing-key-${raw}`]) };
    }).sort((a, b) => a.file.localeCompare(b.file));
  }

  test('file names keep their case and a missing key fails the template in both modes', async () => {
    // GIVEN the same secrets, one with capitals
    const secrets = [{ name: 'DB-Creds', path: 'database/creds/myapp-db' }, API_KEY];
    const chart = newChart();
    const injector = inject(chart, webDeployment(chart, 'api'), { secrets });
    const { chart: sidecarChart } = vault(newChart(), { secrets });

    // WHEN
    const config = await hcl(find(synth(sidecarChart), 'ConfigMap'), 'agent.hcl');
    const sidecarFiles = config.template
      .map((t: any) => ({ file: t.destination.replace('/vault/secrets/', ''), errorOnMissingKey: t.error_on_missing_key }))
      .sort((a: any, b: any) => a.file.localeCompare(b.file));

    // THEN
    expect(injectorFiles(injector.annotations)).toEqual(sidecarFiles);
    expect(sidecarFiles).toEqual([{ file: 'api-key', errorOnMissingKey: true }, { file: 'DB-Creds', errorOnMissingKey: true }]);
    // and a template that fails its retries stops the agent in both (the sidecar's template_config)
    expect(injector.annotations['vault.hashicorp.com/template-config-exit-on-retry-failure']).toBe('true');
    expect(config.template_config).toEqual([{ exit_on_retry_failure: true }]);
  });

  test('the injector leaves the Vault address and auth path to its own settings unless they are set', () => {
    // GIVEN / WHEN
    const chart = newChart();
    const unset = inject(chart, webDeployment(chart, 'a'));
    const set = inject(chart, webDeployment(chart, 'b'), { address: 'https://vault.example.com:8200', authPath: 'auth/k8s-prod' }, 'set');

    // THEN
    expect(Object.keys(unset.annotations)).not.toContain('vault.hashicorp.com/service');
    expect(Object.keys(unset.annotations)).not.toContain('vault.hashicorp.com/auth-path');
    expect(set.annotations['vault.hashicorp.com/service']).toBe('https://vault.example.com:8200');
    expect(set.annotations['vault.hashicorp.com/auth-path']).toBe('auth/k8s-prod');
  });

  test('the sidecar\'s default address is vault-helm\'s default install (TLS off, release vault in namespace vault)', async () => {
    // GIVEN vault-helm 0.34.1: values.yaml `global.tlsDisable: true`; the injector's
    // AGENT_INJECT_VAULT_ADDR is `<vault.scheme>://<fullname>.<namespace>.svc:<server.service.port 8200>`
    // (templates/injector-deployment.yaml), the scheme http when tlsDisable (_helpers.tpl)
    const { chart } = vault();

    // WHEN
    const config = await hcl(find(synth(chart), 'ConfigMap'), 'agent.hcl');

    // THEN
    expect(config.vault).toEqual([{ address: 'http://vault.vault.svc:8200' }]);
  });

  test('a secret named file-<x> is refused by the injector (vault-k8s reads agent-inject-template-file-<x>), fine in the sidecar', () => {
    const chart = newChart();
    expect(() => inject(chart, webDeployment(chart), { secrets: [{ name: 'file-db', path: 'secret/db' }] })).toThrow(
      `${error('VAULT_SECRET_INVALID')}secret name 'file-db' starts with 'file-', which the injector reads as the 'agent-inject-template-file-' annotation of a secret 'db'. Fix: rename the secret so it does not start with 'file-' (vault-k8s 1.3 and later).`);
    expect(() => vault(newChart(), { secrets: [{ name: 'file-db', path: 'secret/db' }] })).not.toThrow();
  });
});

describe('auth methods', () => {
  const method = async (authMethod: VaultAuthMethod, props: Partial<VaultAgentSidecarProps> = {}) => {
    const chart = newChart();
    new VaultAgentSidecar(chart, 'secrets', { workload: webDeployment(chart), secrets: [DB], authMethod, ...props });
    const manifests = synth(chart);
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');
    expectAgentKeys(config);
    return { config, spec: podSpec(find(manifests, 'Deployment')) };
  };
  const volumeNames = (spec: any) => spec.volumes.map((v: any) => v.name);

  test('Kubernetes, as a method: the same as role/authPath', async () => {
    const { config } = await method(VaultAuthMethod.kubernetes({ role: 'myapp-role', mountPath: 'auth/k8s', tokenAudience: 'vault' }));
    expect(config.auto_auth[0].method).toEqual({ kubernetes: [{ mount_path: 'auth/k8s', config: { role: 'myapp-role', token_path: '/var/run/secrets/vault.hashicorp.com/serviceaccount/token' } }] });
  });

  test('JWT with a projected token of the role\'s audience, never deleted by the agent', async () => {
    const { config, spec } = await method(VaultAuthMethod.jwt({ role: 'myapp', tokenAudience: 'https://vault.example.com', tokenExpiration: Duration.minutes(30) }));
    expect(config.auto_auth[0].method).toEqual({
      jwt: [{ mount_path: 'auth/jwt', config: { role: 'myapp', path: '/var/run/secrets/vault.hashicorp.com/serviceaccount/token', remove_jwt_after_reading: false } }],
    });
    expect(spec.volumes).toContainEqual({
      name: 'vault-agent-sa-token',
      projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'https://vault.example.com', expirationSeconds: 1800 } }] },
    });
  });

  test('AppRole with role and secret IDs from Secrets, mounted into the agent only', async () => {
    // GIVEN
    const chart = newChart();
    const ids = kplus.Secret.fromSecretName(chart, 'ids', 'myapp-approle');
    const secretId = kplus.Secret.fromSecretName(chart, 'sid', 'myapp-secret-id');

    // WHEN
    const { config, spec } = await method(VaultAuthMethod.appRole({ roleIdSecret: ids, secretIdSecret: secretId, secretIdKey: 'sid' }));

    // THEN
    expect(config.auto_auth[0].method).toEqual({
      approle: [{
        mount_path: 'auth/approle',
        config: { role_id_file_path: '/vault/approle/role-id/role-id', secret_id_file_path: '/vault/approle/secret-id/secret-id', remove_secret_id_file_after_reading: false },
      }],
    });
    expect(spec.volumes).toContainEqual({ name: 'vault-agent-role-id', secret: { secretName: 'myapp-approle', items: [{ key: 'role-id', path: 'role-id' }] } });
    expect(spec.volumes).toContainEqual({ name: 'vault-agent-secret-id', secret: { secretName: 'myapp-secret-id', items: [{ key: 'sid', path: 'secret-id' }] } });
    expect(volumeNames(spec)).not.toContain('vault-agent-sa-token');
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
  });

  test('AWS IAM', async () => {
    const { config, spec } = await method(VaultAuthMethod.aws({ role: 'myapp', region: 'eu-west-1', headerValue: 'vault.example.com' }));
    expect(config.auto_auth[0].method).toEqual({ aws: [{ mount_path: 'auth/aws', config: { role: 'myapp', type: 'iam', region: 'eu-west-1', header_value: 'vault.example.com' } }] });
    expect(volumeNames(spec)).not.toContain('vault-agent-sa-token');
  });

  test.each([
    [VaultGcpAuthType.GCE, undefined, { role: 'myapp', type: 'gce' }],
    [VaultGcpAuthType.IAM, 'myapp-sa@my-project.iam.gserviceaccount.com', { role: 'myapp', type: 'iam', service_account: 'myapp-sa@my-project.iam.gserviceaccount.com' }],
  ])('GCP %s', async (type, serviceAccount, expected) => {
    const { config } = await method(VaultAuthMethod.gcp({ role: 'myapp', type, serviceAccount, mountPath: 'auth/gcp-prod' }));
    expect(config.auto_auth[0].method).toEqual({ gcp: [{ mount_path: 'auth/gcp-prod', config: expected }] });
  });

  test('every method in the render-once config fails fast', async () => {
    const chart = newChart();
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });
    new VaultAgentSidecar(chart, 'secrets', { workload: job, mode: SidecarMode.LEGACY, secrets: [DB], authMethod: VaultAuthMethod.aws({ role: 'myapp' }) });
    const once = await hcl(find(synth(chart), 'ConfigMap'), 'agent-init.hcl');
    expectAgentKeys(once);
    expect(once.auto_auth[0].method.aws[0].exit_on_err).toBe(true);
  });
});

describe('TLS, namespaces and the API proxy', () => {
  test('TLS server name, a client certificate from a Secret, a namespace', async () => {
    // GIVEN
    const chart = newChart();
    const client = kplus.Secret.fromSecretName(chart, 'client', 'myapp-vault-client');
    const ca = kplus.Secret.fromSecretName(chart, 'ca', 'vault-ca');

    // WHEN
    vault(chart, {
      address: 'https://10.0.0.12:8200',
      caCertificate: VaultCaCertificate.fromSecret(ca),
      tlsServerName: 'vault.example.com',
      clientCertificate: VaultClientCertificate.fromSecret(client),
      namespace: 'admin/team-a',
    });
    const manifests = synth(chart);
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');

    // THEN
    expectAgentKeys(config);
    expect(config.vault).toEqual([{
      address: 'https://10.0.0.12:8200',
      ca_cert: '/vault/tls/ca.crt',
      tls_server_name: 'vault.example.com',
      client_cert: '/vault/tls-client/tls.crt',
      client_key: '/vault/tls-client/tls.key',
      namespace: 'admin/team-a',
    }]);
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes).toContainEqual({
      name: 'vault-agent-client-tls',
      secret: { secretName: 'myapp-vault-client', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] },
    });
    expect(container(spec, 'app').volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
    expect(podMetadata(find(manifests, 'Deployment')).annotations[INSECURE]).toBeUndefined();
  });

  test('skipping TLS verification is written in the config and announced on the pod', async () => {
    const { chart } = vault(newChart(), { address: 'https://vault.example.com', insecureSkipTlsVerify: true });
    const manifests = synth(chart);
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');
    expect(config.vault).toEqual([{ address: 'https://vault.example.com', tls_skip_verify: true }]);
    expect(podMetadata(find(manifests, 'Deployment')).annotations[INSECURE]).toBe('true');
  });

  test('the injector: namespace, TLS server name and skip-verify as vault-k8s 1.7.6 annotations', () => {
    const chart = newChart();
    const injector = inject(chart, webDeployment(chart), { namespace: 'team-a', tlsServerName: 'vault.example.com' });
    const insecure = inject(chart, webDeployment(chart, 'api'), { insecureSkipTlsVerify: true }, 'insecure');
    // annotations.go: AnnotationVaultNamespace, AnnotationVaultTLSServerName, AnnotationVaultTLSSkipVerify
    expect(injector.annotations).toMatchObject({ 'vault.hashicorp.com/namespace': 'team-a', 'vault.hashicorp.com/tls-server-name': 'vault.example.com' });
    expect(insecure.annotations).toMatchObject({ 'vault.hashicorp.com/tls-skip-verify': 'true', [INSECURE]: 'true' });
  });

  test('the API proxy: VAULT_ADDR for the app, the agent\'s token added by the agent', async () => {
    // GIVEN
    const { chart, sidecar } = vault(newChart(), { apiProxy: true, agentPort: 8300 });

    // WHEN
    const manifests = synth(chart);
    const config = await hcl(find(manifests, 'ConfigMap'), 'agent.hcl');

    // THEN
    expectAgentKeys(config);
    expect(config.api_proxy).toEqual([{ use_auto_auth_token: true }]);
    expect(config.listener.tcp).toContainEqual({ address: '127.0.0.1:8300', tls_disable: true });
    expect(config.cache).toBeUndefined();
    const spec = podSpec(find(manifests, 'Deployment'));
    const app = container(spec, 'app');
    expect(app.env).toEqual([{ name: 'VAULT_SECRETS_PATH', value: '/vault/secrets' }, { name: 'VAULT_ADDR', value: 'http://127.0.0.1:8300' }]);
    // the token stays in the agent's own volume
    expect(app.volumeMounts.map((m: any) => m.name)).toEqual(['vault-agent-secrets']);
    expect(JSON.stringify(app)).not.toMatch(/VAULT_TOKEN|vault-token|vault-agent-home/);
    expect(container(spec, 'vault-agent').ports).toContainEqual({ containerPort: 8300, name: 'vault-agent' });
    expect(sidecar.secretNames).toEqual(['db-creds']);
    // The app calls Vault through the agent until it has stopped: the agent stays in the
    // kubelet's termination order, after the app (no stop-with-app preStop)
    expect(container(spec, 'vault-agent').lifecycle.preStop).toBeUndefined();
    expect(sidecar.stopsWithApp).toBe(false);
  });
});

describe('issue #14 errors', () => {
  const client = () => VaultClientCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'c', 'c'));
  test.each([
    ['authMethod and role', { authMethod: VaultAuthMethod.jwt({ role: 'r', tokenAudience: 'vault' }) }, 'VAULT_AUTH_INVALID',
      'both \'authMethod\' and \'role\' are set. Fix: set the role, mount path and token of the method in VaultAuthMethod.<method>({...}) and drop the other props.'],
    ['no role, no method', { role: undefined }, 'VAULT_AUTH_INVALID',
      'neither \'role\' nor \'authMethod\' is set. Fix: pass the Vault role of the Kubernetes auth method as \'role\', or another method as \'authMethod\' (e.g. VaultAuthMethod.jwt({...})).'],
    ['JWT without audience', { role: undefined, authMethod: VaultAuthMethod.jwt({ role: 'r', tokenAudience: undefined as any }) }, 'VAULT_AUDIENCE_INVALID',
      'the JWT auth method needs a token audience. Fix: pass the audience the Vault role binds (bound_audiences) as \'tokenAudience\', e.g. \'vault\'.'],
    ['JWT role', { role: undefined, authMethod: VaultAuthMethod.jwt({ role: 'a"b', tokenAudience: 'vault' }) }, 'VAULT_ROLE_INVALID', 'role "a\\"b" is not a Vault role name.'],
    ['AppRole key', { role: undefined, authMethod: VaultAuthMethod.appRole({ roleIdSecret: kplus.Secret.fromSecretName(newChart(), 's', 's'), secretIdSecret: kplus.Secret.fromSecretName(newChart(), 't', 't'), roleIdKey: '../x' }) },
      'VAULT_AUTH_INVALID', 'AppRole Secret key "../x" is not a valid file name.'],
    ['AWS region', { role: undefined, authMethod: VaultAuthMethod.aws({ role: 'r', region: 'mars"' }) }, 'VAULT_AUTH_INVALID', 'AWS region "mars\\"" is not a region name. Fix: pass a region such as \'eu-west-1\'.'],
    ['AWS header', { role: undefined, authMethod: VaultAuthMethod.aws({ role: 'r', headerValue: 'a" b' }) }, 'VAULT_AUTH_INVALID', 'AWS header value "a\\" b" is not valid.'],
    ['GCP IAM without account', { role: undefined, authMethod: VaultAuthMethod.gcp({ role: 'r', type: VaultGcpAuthType.IAM }) }, 'VAULT_AUTH_INVALID', 'the GCP IAM login needs a service account.'],
    ['GCP account', { role: undefined, authMethod: VaultAuthMethod.gcp({ role: 'r', serviceAccount: 'me@example.com' }) }, 'VAULT_AUTH_INVALID', 'GCP service account "me@example.com" is not a service account email.'],
    ['GCP type', { role: undefined, authMethod: VaultAuthMethod.gcp({ role: 'r', type: 'oidc' as any }) }, 'VAULT_AUTH_INVALID', 'GCP login type "oidc" is not valid. Fix: pass VaultGcpAuthType.GCE or VaultGcpAuthType.IAM.'],
    ['method mount path', { role: undefined, authMethod: VaultAuthMethod.gcp({ role: 'r', mountPath: '/auth/gcp' }) }, 'VAULT_PATH_INVALID', 'auth path "/auth/gcp" is not a Vault path. Fix: pass the mount path of the GCP auth method'],
    ['namespace', { namespace: 'team a' }, 'VAULT_NAMESPACE_INVALID', 'namespace "team a" is not a Vault namespace path.'],
    ['TLS server name', { address: 'https://v:8200', tlsServerName: 'Vault_Example' }, 'VAULT_TLS_INVALID', 'TLS server name "Vault_Example" is not a DNS name.'],
    ['TLS on http', { caCertificate: VaultCaCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'ca', 'ca')) }, 'VAULT_TLS_INVALID',
      'TLS settings are set but the address http://vault.vault.svc:8200 is not https. Fix: use an https:// address, or drop \'caCertificate\', \'tlsServerName\', \'clientCertificate\' and \'insecureSkipTlsVerify\'.'],
    ['skip and verify', { address: 'https://v:8200', insecureSkipTlsVerify: true, tlsServerName: 'v.example.com' }, 'VAULT_TLS_INVALID',
      'TLS verification is both skipped (\'insecureSkipTlsVerify\') and configured (\'caCertificate\' or \'tlsServerName\').'],
    ['client key names', { address: 'https://v:8200', clientCertificate: VaultClientCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'c', 'c'), 'tls.crt', 'tls.crt') }, 'VAULT_TLS_INVALID',
      'the client certificate and its key are both key \'tls.crt\'.'],
    ['client key file name', { address: 'https://v:8200', clientCertificate: VaultClientCertificate.fromSecret(kplus.Secret.fromSecretName(newChart(), 'c', 'c'), '../crt') }, 'VAULT_TLS_INVALID',
      'client certificate key "../crt" is not a valid file name.'],
    ['agent port', { agentPort: 8201 }, 'PORT_DUPLICATE', '\'metricsPort\' and \'agentPort\' are both 8201.'],
  ] as Array<[string, Partial<VaultAgentSidecarProps>, string, string]>)('%s', (_label, props, code, message) => {
    expect(() => vault(newChart(), props)).toThrow(`${error(code)}${message}`);
  });

  test('the API proxy of a render-once agent', () => {
    const chart = newChart();
    const job = new kplus.Job(chart, 'web', { containers: [{ name: 'main', image: 'myjob:v1.0.0' }] });
    expect(() => vault(chart, { mode: SidecarMode.LEGACY, apiProxy: true }, job)).toThrow(
      `${error('VAULT_API_PROXY_INVALID')}the API proxy needs a long-running agent, but a LEGACY agent on a pod that runs to completion only renders once. Fix: `);
  });

  test.each([
    ['another auth method', { role: undefined, authMethod: VaultAuthMethod.aws({ role: 'r' }) }, 'VAULT_AUTH_INVALID',
      'the injector logs in with the Kubernetes auth method only, not aws. Fix: use VaultAgentSidecar for another auth method, or VaultAuthMethod.kubernetes({...}).'],
    ['a client certificate', { address: 'https://v:8200', clientCertificate: client() }, 'VAULT_TLS_INVALID',
      'the injector mounts one TLS Secret (the CA certificate\'s): no client certificate from another Secret. Fix: use VaultAgentSidecar for a client certificate.'],
  ] as Array<[string, Partial<VaultAgentInjectorProps>, string, string]>)('injector: %s', (_label, props, code, message) => {
    const chart = newChart();
    expect(() => inject(chart, webDeployment(chart), props)).toThrow(`${error(code)}${message}`);
  });
});

describe('PKI certificates and change notification', () => {
  test('a certificate from a PKI role: one pkiCert template, three files, all awaited before the app', async () => {
    // GIVEN
    const { chart, sidecar } = vault(newChart(), {
      certificates: [{ name: 'tls', issuePath: 'pki_int/issue/myapp', commonName: 'myapp.production.svc', altNames: ['myapp', '*.myapp.production.svc'], ipSans: ['10.0.0.12'], ttl: Duration.hours(12) }],
    });

    // WHEN
    const manifests = synth(chart);
    const cm = find(manifests, 'ConfigMap');
    const config = await hcl(cm, 'agent.hcl');

    // THEN
    expectAgentKeys(config);
    expect(config.template).toContainEqual({ source: '/vault/config/tls.crt.ctmpl', destination: '/vault/secrets/tls.crt', error_on_missing_key: true });
    expect(cm.data['tls.crt.ctmpl']).toBe([
      '{{- with pkiCert "pki_int/issue/myapp" "common_name=myapp.production.svc" "alt_names=myapp,*.myapp.production.svc" "ip_sans=10.0.0.12" "ttl=43200s" -}}',
      '{{ .Cert }}{{ .Key | writeToFile "/vault/secrets/tls.key" "" "" "0644" }}{{ .CA | writeToFile "/vault/secrets/tls-ca.crt" "" "" "0644" }}',
      '{{- end }}',
      '',
    ].join('\n'));
    expect(container(podSpec(find(manifests, 'Deployment')), 'vault-agent').lifecycle.postStart.exec.command[2]).toContain(
      'if test -s /vault/secrets/db-creds && test -s /vault/secrets/tls.crt && test -s /vault/secrets/tls.key && test -s /vault/secrets/tls-ca.crt; then exit 0; fi');
    expect(sidecar.secretNames).toEqual(['db-creds', 'tls.crt', 'tls.key', 'tls-ca.crt']);
    expect(sidecar.secretFile('tls.key')).toBe('/vault/secrets/tls.key');
  });

  test('after each render the agent POSTs the file name to the app, and a failed call never stops it', async () => {
    // GIVEN
    const { chart } = vault(newChart(), {
      webhookUrl: 'http://127.0.0.1:8080/-/reload',
      certificates: [{ name: 'tls', issuePath: 'pki/issue/myapp', commonName: 'myapp.production.svc' }],
    });

    // WHEN
    const config = await hcl(find(synth(chart), 'ConfigMap'), 'agent.hcl');

    // THEN every template has an exec block
    expectAgentKeys(config);
    const execs = config.template.map((t: any) => t.exec);
    expect(execs).toEqual([
      [{ command: ['sh', '-c', 'wget -q -T 10 -O /dev/null --post-data=db-creds \'http://127.0.0.1:8080/-/reload\' || true'], timeout: '15s' }],
      [{ command: ['sh', '-c', 'wget -q -T 10 -O /dev/null --post-data=tls.crt \'http://127.0.0.1:8080/-/reload\' || true'], timeout: '15s' }],
    ]);

    // and the real shell runs wget with those arguments, and succeeds when wget fails
    const dir = mkdtempSync(join(tmpdir(), 'vault-wget-'));
    try {
      writeFileSync(join(dir, 'wget'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/args\nexit 4\n`, { mode: 0o755 });
      const [sh, flag, script] = execs[0][0].command;
      execFileSync(sh, [flag, script], { env: { PATH: `${dir}:/usr/bin:/bin` }, stdio: 'pipe' });
      expect(readFileSync(join(dir, 'args'), 'utf8').trim().split('\n')).toEqual(['-q', '-T', '10', '-O', '/dev/null', '--post-data=db-creds', 'http://127.0.0.1:8080/-/reload']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['bad certificate name', { certificates: [{ name: '../x', issuePath: 'pki/issue/r', commonName: 'a.b' }] }, 'certificate name "../x" is not a valid file name.'],
    ['a certificate file clashing with a secret', { secrets: [{ name: 'tls.key', path: 'secret/k' }], certificates: [{ name: 'tls', issuePath: 'pki/issue/r', commonName: 'a.b' }] },
      'certificate \'tls\' would write \'tls.key\', which another secret or certificate writes.'],
    ['not an issue path', { certificates: [{ name: 'tls', issuePath: 'pki/sign/r', commonName: 'a.b' }] }, 'the issue path "pki/sign/r" of certificate \'tls\' is not <mount>/issue/<role>.'],
    ['a common name with a quote', { certificates: [{ name: 'tls', issuePath: 'pki/issue/r', commonName: 'a" }}{{ end' }] }, '"a\\" }}{{ end" in certificate \'tls\' is not a DNS name.'],
    ['a bad IP', { certificates: [{ name: 'tls', issuePath: 'pki/issue/r', commonName: 'a.b', ipSans: ['10.0.0.300'] }] }, '"10.0.0.300" in certificate \'tls\' is not an IP address.'],
  ] as Array<[string, Partial<VaultAgentSidecarProps>, string]>)('%s', (_label, props, message) => {
    expect(() => vault(newChart(), props)).toThrow(`${error('VAULT_CERTIFICATE_INVALID')}${message}`);
  });

  test('a ttl under a minute', () => {
    expect(() => vault(newChart(), { certificates: [{ name: 'tls', issuePath: 'pki/issue/r', commonName: 'a.b', ttl: Duration.seconds(30) }] }))
      .toThrow(`${error('DURATION_INVALID')}'ttl' is not a whole number of seconds of at least 60.`);
  });

  test.each(['https://127.0.0.1:8443/reload', 'http://app.production.svc/reload', 'http://u:p@127.0.0.1/reload', 'http://127.0.0.1/$(id)', 'not a url'])('webhook URL %j is refused', (webhookUrl) => {
    expect(() => vault(newChart(), { webhookUrl })).toThrow(`[VAULT_WEBHOOK_INVALID] ${W}: webhook URL ${JSON.stringify(webhookUrl)} is not `);
  });
});
