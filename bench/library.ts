/**
 * The library side: each pod's sidecars through cdk8s-sidecars.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { APP_IMAGE, APP_PORT, LOG_AGGREGATOR, UPSTREAM, VAULT_ROLE, VAULT_SECRETS } from './scenario';
import { EnvoySidecar, FluentBitOutput, FluentBitSidecar, SidecarAlerts, VaultAgentSidecar } from '../src';

export function build(chart: Chart, n: number): void {
  for (let i = 0; i < n; i++) {
    const web = new kplus.Deployment(chart, `web-${i}`, {
      containers: [{ name: 'app', image: APP_IMAGE, portNumber: APP_PORT }],
    });
    new FluentBitSidecar(chart, `logs-${i}`, {
      workload: web,
      outputs: [FluentBitOutput.forward(LOG_AGGREGATOR)],
    });
    new VaultAgentSidecar(chart, `secrets-${i}`, {
      workload: web,
      role: VAULT_ROLE,
      secrets: VAULT_SECRETS,
    });
    new EnvoySidecar(chart, `proxy-${i}`, {
      workload: web,
      appPort: APP_PORT,
      upstreams: [UPSTREAM],
    });
  }
  new SidecarAlerts(chart, 'alerts');
}
