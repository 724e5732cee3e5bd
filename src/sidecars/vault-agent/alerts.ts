import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * Vault Agent's alerts, from its telemetry (`/agent/v1/metrics?format=prometheus`): the
 * go-metrics counter `vault.agent.auth.failure` becomes `vault_agent_auth_failure` (no
 * `_total`), created on the first failure.
 */
export const VAULT_AGENT_ALERT_PACK = AlertPack._builtIn('vault-agent', [
  {
    alert: 'VaultAgentAuthFailure',
    summary: 'A Vault Agent sidecar cannot authenticate to Vault.',
    description: `Vault Agent {{ $labels.container }} of pod ${WHERE} failed auto-auth in the last 10 minutes; its secrets are neither rendered nor renewed.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}) (increase(vault_agent_auth_failure{${m}}[10m])) > 0`,
        // The counter appears with the first failure: a new series is a failure too.
        `or count by (${BY}) (vault_agent_auth_failure{${m}} unless vault_agent_auth_failure{${m}} offset 10m)`,
      ].join('\n');
    },
  },
]);
