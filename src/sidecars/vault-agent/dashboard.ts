import { DashboardPack, DashboardUnit } from '../../dashboards/pack';

/**
 * Vault Agent's dashboard, from its telemetry (`/agent/v1/metrics?format=prometheus`, the
 * listener the PodMonitor scrapes): the go-metrics counters `vault.agent.auth.failure` and
 * `vault.agent.auth.success` (hashicorp/vault `command/agentproxyshared/auth/auth.go`),
 * exposed as `vault_agent_auth_failure` and `vault_agent_auth_success` (no `_total`),
 * each created with its first event.
 */
export const VAULT_AGENT_DASHBOARD_PACK = DashboardPack.custom('vault-agent', {
  title: 'Vault Agent',
  description: 'Vault Agent sidecars: auto-auth successes and failures.',
  panels: [
    {
      title: 'Auto-auth failures',
      description: 'Failed logins to Vault (VaultAgentAuthFailure): until one succeeds, secrets are neither rendered nor renewed.',
      unit: DashboardUnit.NUMBER,
      queries: [{ expr: 'sum by (pod) (increase(vault_agent_auth_failure{$sidecar}[$__rate_interval]))' }],
    },
    {
      title: 'Auto-auth successes',
      description: 'Successful logins (one at start, then one per token re-authentication).',
      unit: DashboardUnit.NUMBER,
      queries: [{ expr: 'sum by (pod) (increase(vault_agent_auth_success{$sidecar}[$__rate_interval]))' }],
    },
  ],
});
