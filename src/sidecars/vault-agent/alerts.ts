import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * Vault Agent's alerts, from its telemetry (`/agent/v1/metrics?format=prometheus`).
 *
 * The auth handler (command/agentproxyshared/auth/auth.go) counts every failure in the
 * go-metrics counter `vault.agent.auth.failure` (`vault_agent_auth_failure`, no `_total`,
 * created by the first failure) and sets the gauge `vault.agent.authenticated` to 0; a
 * login or a renewal of the token sets it to 1. One failure at pod start that a retry
 * (backoff from 1 s) fixes is no page: the alert needs failures and no valid token for
 * 2 minutes. The agent keeps its metrics for `prometheus_retention_time`, which the
 * generated config raises from the 24 h default, so the gauge does not vanish between
 * two logins of a long-lived token.
 */
export const VAULT_AGENT_ALERT_PACK = AlertPack._builtIn('vault-agent', [
  {
    alert: 'VaultAgentAuthFailure',
    summary: 'A Vault Agent sidecar cannot authenticate to Vault.',
    description: `Vault Agent {{ $labels.container }} of pod ${WHERE} fails auto-auth and holds no valid Vault token; its secrets are neither rendered nor renewed.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 2 * 60,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      return [
        '(',
        `  sum by (${BY}) (increase(vault_agent_auth_failure{${m}}[10m])) > 0`,
        '  # The counter appears with the first failure: a new series is a failure too.',
        `  or count by (${BY}) (vault_agent_auth_failure{${m}} unless vault_agent_auth_failure{${m}} offset 10m)`,
        ')',
        '# A later try logged in: the agent has a valid token again.',
        `unless on (${BY}) (max by (${BY}) (vault_agent_authenticated{${m}}) == 1)`,
      ].join('\n');
    },
  },
]);
