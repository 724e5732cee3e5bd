import { attr, block, HclEntry, HclObject, HclValueError, renderHcl } from './hcl';
import { TextCache } from '../../core/_memo';
import { Fail } from '../../core/errors';

/**
 * Internal: Vault Agent's configuration (`agent.hcl`, `agent-init.hcl`), built as
 * data and written by the HCL renderer. Nothing here is exported from the package.
 *
 * Every key is one the agent's config parser reads at Vault 1.19
 * (command/agent/config/config.go: `Vault`, `AutoAuth`, `Method`, `Sink`, `Cache`,
 * `APIProxy`, `TemplateConfig`; `Listener` and `Telemetry` from
 * internalshared/configutil), and the tests decode the file with an HCL parser against
 * that list.
 */

/** The auth method block: `method "<type>" { mount_path, namespace?, config { ... } }`. */
export interface AgentAuthMethod {
  readonly type: string;
  readonly mountPath: string;
  readonly config: HclObject;
}

/** What the configuration says. */
export interface AgentConfig {
  /** Render once and exit (`exit_after_auth`, and `exit_on_err` so a failed login fails the container). */
  readonly once: boolean;
  readonly address: string;
  /** The CA certificate file in the agent, if any. */
  readonly caCert?: string;
  readonly tlsServerName?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly tlsSkipVerify?: boolean;
  /** The Vault (Enterprise/HCP) namespace of every request. */
  readonly namespace?: string;
  readonly method: AgentAuthMethod;
  /** The file the Vault token is written to (a memory emptyDir of the agent). */
  readonly sinkPath: string;
  readonly templates: ReadonlyArray<AgentTemplate>;
  readonly metricsPort: number;
  /**
   * The persistent lease cache of the LEGACY pair: the render-once step writes it, the
   * long-running agent restores its token and leases from it instead of fetching the
   * secrets again (what vault-k8s does with `agent-cache-enable`).
   */
  readonly persistentCache?: { readonly path: string; readonly serviceAccountTokenFile: string };
  /** The local listener (127.0.0.1) of the API proxy. */
  readonly localPort: number;
  /** Proxy the app's Vault requests through the local listener with the agent's token. */
  readonly apiProxy: boolean;
}

/** One `template` block. */
export interface AgentTemplate {
  readonly source: string;
  readonly destination: string;
  /** File mode, e.g. '0640'. */
  readonly perms?: string;
  /** `exec { command = [...] }` after each render. */
  readonly command?: ReadonlyArray<string>;
}

/** How long the agent keeps a metric it has not updated: longer than any pod lives (the 24 h default lost `vault_agent_authenticated` between logins). */
const PROMETHEUS_RETENTION = '8760h';

const configs = new TextCache<string>();

/** The agent configuration, rendered once per process for each distinct input (pods with the same props share it). */
export function renderAgentConfig(config: AgentConfig, fail: Fail): string {
  return configs.get(JSON.stringify(config), () => {
    try {
      return renderHcl(entries(config));
    } catch (e) {
      if (!(e instanceof HclValueError)) throw e;
      return fail('VAULT_CONFIG_UNSAFE', `a value of the agent configuration cannot be written safely: ${e.message}`,
        'remove control characters, \'${\' and \'%{\' from the value (and write it in Unicode normalization form C)');
    }
  });
}

function entries(c: AgentConfig): HclEntry[] {
  const out: HclEntry[] = [];
  if (c.once) out.push(attr('exit_after_auth', true));
  out.push(block('vault', [], [
    attr('address', c.address),
    ...(c.caCert ? [attr('ca_cert', c.caCert)] : []),
    ...(c.tlsServerName ? [attr('tls_server_name', c.tlsServerName)] : []),
    ...(c.clientCert ? [attr('client_cert', c.clientCert)] : []),
    ...(c.clientKey ? [attr('client_key', c.clientKey)] : []),
    ...(c.tlsSkipVerify ? [attr('tls_skip_verify', true)] : []),
    ...(c.namespace ? [attr('namespace', c.namespace)] : []),
  ]));
  out.push(block('auto_auth', [], [
    block('method', [c.method.type], [
      attr('mount_path', c.method.mountPath),
      // Without it the agent retries a failed login forever (auth.go: retries are
      // math.MaxInt unless exit_on_err): a render-once step would hang its pod.
      ...(c.once ? [attr('exit_on_err', true)] : []),
      attr('config', c.method.config),
    ]),
    block('sink', ['file'], [attr('config', { path: c.sinkPath })]),
  ]));
  if (c.persistentCache !== undefined) {
    out.push(block('cache', [], [
      block('persist', ['kubernetes'], [
        attr('path', c.persistentCache.path),
        attr('service_account_token_file', c.persistentCache.serviceAccountTokenFile),
      ]),
    ]));
  }
  // The cache needs no listener of its own: templates are enough (config.go, "enabling the
  // cache requires at least 1 template or 1 listener").
  if (c.apiProxy) {
    out.push(block('listener', ['tcp'], [
      attr('address', `127.0.0.1:${c.localPort}`),
      attr('tls_disable', true),
    ]));
    out.push(block('api_proxy', [], [attr('use_auto_auth_token', true)]));
  }
  out.push(block('template_config', [], [attr('exit_on_retry_failure', true)]));
  for (const t of c.templates) {
    out.push(block('template', [], [
      attr('source', t.source),
      attr('destination', t.destination),
      attr('error_on_missing_key', true),
      ...(t.perms ? [attr('perms', t.perms)] : []),
      ...(t.command ? [block('exec', [], [attr('command', t.command), attr('timeout', '15s')])] : []),
    ]));
  }
  if (!c.once) {
    out.push(block('listener', ['tcp'], [
      attr('address', `0.0.0.0:${c.metricsPort}`),
      attr('tls_disable', true),
      attr('role', 'metrics_only'),
    ]));
    out.push(block('telemetry', [], [
      attr('prometheus_retention_time', PROMETHEUS_RETENTION),
      attr('disable_hostname', true),
    ]));
  }
  return out;
}
