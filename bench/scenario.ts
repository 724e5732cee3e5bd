/**
 * The benchmark's scenario, shared by both sides: N web Deployments, each with a
 * native Fluent Bit (one forward output), Vault Agent (two secrets) and Envoy (one
 * upstream) sidecar, and one PrometheusRule + PodMonitor for the chart.
 *
 * - `library` (bench/library.ts): FluentBitSidecar, VaultAgentSidecar, EnvoySidecar
 *   and SidecarAlerts.
 * - `hand` (bench/hand.ts): the same manifests written by hand with cdk8s-plus-28
 *   and cdk8s ApiObjects, as a competent engineer would (config text built once).
 *
 * test/bench-equivalence.test.ts proves that both sides synthesize the same
 * manifests. Each side is loaded on demand, so a measurement process loads only
 * the code of the side it measures.
 */
import { Chart } from 'cdk8s';

/** Builds `n` pods (and the chart's alerts) into `chart`. */
export type Build = (chart: Chart, n: number) => void;

/** The namespace of the benchmark chart. */
export const NAMESPACE = 'production';

/** What every pod gets, on both sides. */
export const APP_IMAGE = 'myapp:v1.0.0';
export const APP_PORT = 8080;
export const LOG_AGGREGATOR = { host: 'fluentd-aggregator.logging', port: 24224 };
export const VAULT_ROLE = 'myapp-role';
export const VAULT_SECRETS = [
  { name: 'db-creds', path: 'database/creds/myapp-db' },
  { name: 'api-key', path: 'secret/data/myapp/api-key' },
];
export const UPSTREAM = { name: 'payments', host: 'payments.production.svc.cluster.local', port: 8080 };

/** The sides, loaded on demand. */
export const SIDES: { [side: string]: () => Build } = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  library: () => require('./library').build,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  hand: () => require('./hand').build,
};
