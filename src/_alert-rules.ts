/**
 * Internal: the alert rules SidecarAlerts generates, one pack per sidecar kind.
 * Nothing here is exported from the package.
 *
 * The metrics, as the tools and kube-state-metrics really expose them:
 * - kube-state-metrics: native sidecars are init containers, so their state is in
 *   `kube_pod_init_container_*` (`kube_pod_init_container_info` carries the
 *   container's `restart_policy`, "Always" for a native sidecar, since 2.11); legacy
 *   sidecars are in `kube_pod_container_*`. `kube_pod_deletion_timestamp` exists
 *   only for pods being deleted; `kube_pod_status_phase` is 1 for the pod's phase.
 * - Envoy (`/stats/prometheus`): `envoy_server_state` is a gauge whose value is the
 *   state: 0 LIVE, 1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING.
 *   `envoy_cluster_upstream_rq_xx{envoy_response_code_class}`,
 *   `envoy_cluster_upstream_{rq_pending,cx}_overflow` per `envoy_cluster_name`.
 * - Fluent Bit (`/api/v2/metrics/prometheus`): `fluentbit_input_records_total` and
 *   `fluentbit_output_{proc,dropped}_records_total`,
 *   `fluentbit_output_retries_failed_total`, each labelled with its plugin
 *   instance's `name` (inputs and outputs never share one, so they are summed per
 *   pod before subtracting); `fluentbit_filter_{add,drop}_records_total`.
 * - Vault Agent (telemetry, `/agent/v1/metrics?format=prometheus`): the go-metrics
 *   counter `vault.agent.auth.failure` becomes `vault_agent_auth_failure` (no
 *   `_total`), created on the first failure.
 * - configmap-reload: `configmap_reload_last_reload_error{webhook}` is 1 while the
 *   last webhook call failed (`configmap_reload_request_errors_total{reason}` counts
 *   them).
 * - statsd_exporter: `statsd_exporter_sample_errors_total{reason}`,
 *   `statsd_exporter_tag_errors_total`, `statsd_exporter_events_conflict_total`.
 */

/** A sidecar as the rules see it. */
export interface AlertTarget {
  readonly kind: string;
  readonly container: string;
  readonly namespace?: string;
  /** The sidecar runs as an init container (native sidecar, or once-only). */
  readonly init: boolean;
  /** The sidecar runs for the pod's life (not a once-only init container). */
  readonly longRunning: boolean;
  /** Prometheus scrapes its metrics. */
  readonly scraped: boolean;
}

/** The settings of one generated alert. */
export interface AlertSettings {
  readonly severity: string;
  /** Seconds; 0 for none. */
  readonly forSeconds: number;
  readonly threshold?: number;
}

/** One generated alert. */
export interface AlertDefinition {
  readonly alert: string;
  /** The group the alert belongs to. */
  readonly group: string;
  readonly summary: string;
  readonly description: string;
  readonly defaults: AlertSettings;
  /** The tool kind the alert needs (scraped sidecars of that kind), or undefined for every sidecar. */
  readonly kind?: string;
  /** The PromQL, or undefined when no target applies. */
  readonly expr: (targets: AlertTarget[], threshold: number) => string | undefined;
}

const WHERE = '{{ $labels.namespace }}/{{ $labels.pod }}';
const BY = 'namespace, pod, container';

/** The label matchers that select exactly these sidecars' containers. */
export function matchers(targets: AlertTarget[]): string {
  const names = unique(targets.map(t => t.container));
  const namespaces = targets.some(t => t.namespace === undefined)
    ? []
    : unique(targets.map(t => t.namespace!));
  const parts: string[] = [];
  if (namespaces.length > 0) parts.push(eq('namespace', namespaces));
  parts.push(eq('container', names));
  return parts.join(', ');
}

function eq(label: string, values: string[]): string {
  // Container names and namespaces should be DNS labels, but a chart's namespace is
  // not checked by cdk8s: quote and escape, so no value can add or widen a matcher.
  return values.length === 1
    ? `${label}=${promString(values[0])}`
    : `${label}=~${promString(values.map(v => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))}`;
}

/** A PromQL double-quoted string literal (Go escapes, which JSON's are a subset of). */
function promString(value: string): string {
  return JSON.stringify(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/** `a or b` of the non-empty parts. */
function either(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return present.map(p => `(${p})`).join('\nor\n');
}

function num(n: number): string {
  return String(n);
}

/** Native and legacy variants of a kube-state-metrics expression. */
function perPlacement(targets: AlertTarget[], build: (family: 'init_container' | 'container', m: string) => string): string | undefined {
  const init = targets.filter(t => t.init);
  const plain = targets.filter(t => !t.init);
  return either(
    init.length > 0 ? build('init_container', matchers(init)) : undefined,
    plain.length > 0 ? build('container', matchers(plain)) : undefined,
  );
}

const NOT_DELETING = 'unless on (namespace, pod) kube_pod_deletion_timestamp';

export const ALERTS: AlertDefinition[] = [
  {
    alert: 'SidecarContainerRestarting',
    group: 'sidecar-containers',
    summary: 'A sidecar container restarts again and again.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} restarted {{ $value | humanize }} times in the last hour.`,
    defaults: { severity: 'warning', forSeconds: 0, threshold: 3 },
    expr: (targets, threshold) => perPlacement(targets, (family, m) =>
      `increase(kube_pod_${family}_status_restarts_total{${m}}[1h]) > ${num(threshold)}`),
  },
  {
    alert: 'SidecarContainerCrashLooping',
    group: 'sidecar-containers',
    summary: 'A sidecar container is in CrashLoopBackOff.',
    description: `Sidecar {{ $labels.container }} of pod ${WHERE} keeps crashing (CrashLoopBackOff); the pod cannot work without it.`,
    defaults: { severity: 'warning', forSeconds: 15 * 60 },
    expr: (targets) => perPlacement(targets, (family, m) =>
      `max_over_time(kube_pod_${family}_status_waiting_reason{${m}, reason="CrashLoopBackOff"}[5m]) >= 1`),
  },
  {
    alert: 'SidecarContainerNotReady',
    group: 'sidecar-containers',
    summary: 'A sidecar container of a running pod is not ready.',
    description: `Sidecar {{ $labels.container }} of running pod ${WHERE} has not been ready for its whole alert window.`,
    defaults: { severity: 'warning', forSeconds: 10 * 60 },
    expr: (targets) => perPlacement(targets.filter(t => t.longRunning), (family, m) => [
      `(kube_pod_${family}_status_ready{${m}} == 0)`,
      // A finished ordinary init container is not ready either: only native sidecars
      // (restartPolicy Always) count.
      ...(family === 'init_container' ? [`and on (namespace, pod, container) kube_pod_init_container_info{${m}, restart_policy="Always"}`] : []),
      // Not for pods that are done (completed Jobs) or not started, nor while the pod is deleted.
      'and on (namespace, pod) (kube_pod_status_phase{phase="Running"} == 1)',
      NOT_DELETING,
    ].join('\n')),
  },
  {
    alert: 'EnvoyProxyUnhealthy',
    group: 'sidecar-envoy',
    kind: 'envoy',
    summary: 'An Envoy sidecar is not serving traffic (server state is not LIVE).',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} is in state {{ $value }} (1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING) although the pod is not being deleted.`,
    defaults: { severity: 'critical', forSeconds: 2 * 60 },
    expr: (targets) => `(envoy_server_state{${matchers(targets)}} != 0)\n${NOT_DELETING}`,
  },
  {
    alert: 'EnvoyUpstream5xxHigh',
    group: 'sidecar-envoy',
    kind: 'envoy',
    summary: 'Too many upstream requests through an Envoy sidecar fail with 5xx.',
    description: `{{ $value | humanizePercentage }} of the requests from Envoy {{ $labels.container }} of pod ${WHERE} to cluster {{ $labels.envoy_cluster_name }} fail with a 5xx response.`,
    defaults: { severity: 'warning', forSeconds: 5 * 60, threshold: 0.05 },
    expr: (targets, threshold) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{${m}, envoy_response_code_class="5"}[5m]))`,
        `/ sum by (${BY}, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{${m}}[5m]))`,
        `> ${num(threshold)}`,
      ].join('\n');
    },
  },
  {
    alert: 'EnvoyCircuitBreakerOverflow',
    group: 'sidecar-envoy',
    kind: 'envoy',
    summary: 'An Envoy sidecar rejects requests because a circuit breaker is open.',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} requests or connections to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (circuit breaker overflow).`,
    defaults: { severity: 'warning', forSeconds: 5 * 60 },
    expr: (targets) =>
      `sum by (${BY}, envoy_cluster_name) (increase({__name__=~"envoy_cluster_upstream_(rq_pending|cx)_overflow", ${matchers(targets)}}[5m])) > 0`,
  },
  {
    alert: 'FluentBitBacklogHigh',
    group: 'sidecar-fluent-bit',
    kind: 'fluent-bit',
    summary: 'A Fluent Bit sidecar has read many more log records than it has delivered.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} holds {{ $value | humanize }} records it has read but not yet delivered.`,
    defaults: { severity: 'warning', forSeconds: 10 * 60, threshold: 10000 },
    expr: (targets, threshold) => {
      const m = matchers(targets);
      const perPod = (metric: string) => `sum by (${BY}) (${metric}{${m}})`;
      // Filter counters exist only where filters do: count them as 0 elsewhere.
      const orZero = (metric: string) => `(${perPod(metric)} or ${perPod('fluentbit_input_records_total')} * 0)`;
      return [
        '(',
        `  ${perPod('fluentbit_input_records_total')}`,
        `  + ${orZero('fluentbit_filter_add_records_total')}`,
        `  - ${orZero('fluentbit_filter_drop_records_total')}`,
        `  - ${perPod('fluentbit_output_proc_records_total')}`,
        `  - ${perPod('fluentbit_output_dropped_records_total')}`,
        `) > ${num(threshold)}`,
      ].join('\n');
    },
  },
  {
    alert: 'FluentBitOutputRetriesFailed',
    group: 'sidecar-fluent-bit',
    kind: 'fluent-bit',
    summary: 'A Fluent Bit sidecar gave up delivering chunks: logs were lost.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} discarded {{ $value | humanize }} chunks for output {{ $labels.name }} after exhausting its retries in 5 minutes.`,
    defaults: { severity: 'critical', forSeconds: 0 },
    expr: (targets) =>
      `sum by (${BY}, name) (increase(fluentbit_output_retries_failed_total{${matchers(targets)}}[5m])) > 0`,
  },
  {
    alert: 'FluentBitRecordsDropped',
    group: 'sidecar-fluent-bit',
    kind: 'fluent-bit',
    summary: 'A Fluent Bit sidecar dropped log records.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} dropped {{ $value | humanize }} records in output {{ $labels.name }} in 5 minutes.`,
    defaults: { severity: 'warning', forSeconds: 0 },
    expr: (targets) =>
      `sum by (${BY}, name) (increase(fluentbit_output_dropped_records_total{${matchers(targets)}}[5m])) > 0`,
  },
  {
    alert: 'VaultAgentAuthFailure',
    group: 'sidecar-vault-agent',
    kind: 'vault-agent',
    summary: 'A Vault Agent sidecar cannot authenticate to Vault.',
    description: `Vault Agent {{ $labels.container }} of pod ${WHERE} failed auto-auth in the last 10 minutes; its secrets are neither rendered nor renewed.`,
    defaults: { severity: 'critical', forSeconds: 0 },
    expr: (targets) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}) (increase(vault_agent_auth_failure{${m}}[10m])) > 0`,
        // The counter appears with the first failure: a new series is a failure too.
        `or count by (${BY}) (vault_agent_auth_failure{${m}} unless vault_agent_auth_failure{${m}} offset 10m)`,
      ].join('\n');
    },
  },
  {
    alert: 'ConfigReloaderFailing',
    group: 'sidecar-config-reloader',
    kind: 'config-reloader',
    summary: 'A config reloader sidecar cannot make the app reload its configuration.',
    description: `The last reload webhook call of {{ $labels.container }} in pod ${WHERE} failed: the app runs with an old configuration.`,
    defaults: { severity: 'warning', forSeconds: 5 * 60 },
    expr: (targets) =>
      `max by (${BY}) (configmap_reload_last_reload_error{${matchers(targets)}}) > 0`,
  },
  {
    alert: 'StatsdExporterErrors',
    group: 'sidecar-statsd-exporter',
    kind: 'statsd-exporter',
    summary: 'A StatsD exporter sidecar drops samples it cannot parse or map.',
    description: `StatsD exporter {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} samples in 10 minutes (parse errors, bad tags or metric type conflicts).`,
    defaults: { severity: 'warning', forSeconds: 0 },
    expr: (targets) =>
      `sum by (${BY}) (increase({__name__=~"statsd_exporter_(sample_errors|tag_errors|events_conflict)_total", ${matchers(targets)}}[10m])) > 0`,
  },
];

/** The targets an alert applies to. */
export function targetsOf(alert: AlertDefinition, targets: AlertTarget[]): AlertTarget[] {
  return alert.kind === undefined ? targets : targets.filter(t => t.kind === alert.kind && t.scraped);
}
