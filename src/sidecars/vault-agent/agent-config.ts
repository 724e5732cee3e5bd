import { attr, block, HclEntry, HclValueError, renderHcl } from './hcl';
import { TextCache } from '../../core/_memo';
import { Fail } from '../../core/errors';

/**
 * Internal: Vault Agent's configuration (`agent.hcl`, `agent-init.hcl`), built as
 * data and written by the HCL renderer. Nothing here is exported from the package.
 */

/** What the configuration says. */
export interface AgentConfig {
  /** Render once and exit (`exit_after_auth`): the render-once step, with no listener. */
  readonly once: boolean;
  readonly address: string;
  /** The CA certificate file in the agent, if any. */
  readonly caCert?: string;
  readonly authPath: string;
  readonly role: string;
  /** The projected service-account token file. */
  readonly tokenPath: string;
  /** The file the Vault token is written to (a memory emptyDir of the agent). */
  readonly sinkPath: string;
  readonly templates: Array<{ readonly source: string; readonly destination: string }>;
  readonly metricsPort: number;
}

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
  ]));
  out.push(block('auto_auth', [], [
    block('method', ['kubernetes'], [
      attr('mount_path', c.authPath),
      attr('config', { role: c.role, token_path: c.tokenPath }),
    ]),
    block('sink', ['file'], [attr('config', { path: c.sinkPath })]),
  ]));
  out.push(block('template_config', [], [attr('exit_on_retry_failure', true)]));
  for (const t of c.templates) {
    out.push(block('template', [], [
      attr('source', t.source),
      attr('destination', t.destination),
      attr('error_on_missing_key', true),
    ]));
  }
  if (!c.once) {
    out.push(block('listener', ['tcp'], [
      attr('address', `0.0.0.0:${c.metricsPort}`),
      attr('tls_disable', true),
      attr('role', 'metrics_only'),
    ]));
    out.push(block('telemetry', [], [
      attr('prometheus_retention_time', '24h'),
      attr('disable_hostname', true),
    ]));
  }
  return out;
}
