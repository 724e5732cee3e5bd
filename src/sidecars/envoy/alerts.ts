import { BY, matchers, NOT_DELETING, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/**
 * The 5-minute increase of several counters of each Envoy cluster, summed. `increase()` drops the
 * metric name, so each counter gets a `stat` label first: otherwise two counters of one cluster
 * would be one labelset twice, and Prometheus refuses the vector.
 */
function increaseOfCounters(m: string, names: string[]): string {
  const terms = names.map(n => `  label_replace(increase(${n}{${m}}[5m]), "stat", "${n}", "", "")`);
  return `sum by (${BY}, envoy_cluster_name) (\n${terms.join('\n  or\n')}\n) > 0`;
}

/**
 * Envoy's alerts, from its `/stats/prometheus`.
 */
export const ENVOY_ALERT_PACK = AlertPack._builtIn('envoy', [
  {
    alert: 'EnvoyProxyUnhealthy',
    summary: 'An Envoy sidecar is not serving traffic (server state is not LIVE).',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} is in state {{ $value }} (1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING) although the pod is not being deleted.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 2 * 60,
    scrapedOnly: true,
    expr: (targets) => `(envoy_server_state{${matchers(targets)}} != 0)\n${NOT_DELETING}`,
  },
  {
    alert: 'EnvoyUpstream5xxHigh',
    summary: 'Too many upstream requests through an Envoy sidecar fail with 5xx.',
    description: `{{ $value | humanizePercentage }} of the requests from Envoy {{ $labels.container }} of pod ${WHERE} to cluster {{ $labels.envoy_cluster_name }} fail with a 5xx response.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    threshold: { value: 0.05, unit: AlertThresholdUnit.RATIO },
    scrapedOnly: true,
    expr: (targets, threshold) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{${m}, envoy_response_code_class="5"}[5m]))`,
        `/ sum by (${BY}, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{${m}}[5m]))`,
        `> ${threshold}`,
      ].join('\n');
    },
  },
  {
    alert: 'EnvoyCircuitBreakerOverflow',
    summary: 'An Envoy sidecar rejects requests because a circuit breaker is open.',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} requests, retries or connections to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (circuit breaker overflow).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    // cluster.<name>.upstream_{cx,cx_pool,rq_pending,rq_active,rq_retry}_overflow (docs/root/configuration/upstream/cluster_manager/cluster_stats.rst):
    // every threshold of an upstream's circuitBreaker (maxConnections, maxPendingRequests, maxRequests, maxRetries).
    expr: (targets) => increaseOfCounters(matchers(targets),
      ['rq_pending', 'rq_active', 'rq_retry', 'cx', 'cx_pool'].map(c => `envoy_cluster_upstream_${c}_overflow`)),
  },
  {
    alert: 'EnvoyUpstreamTlsHandshakeFailures',
    summary: 'An Envoy sidecar cannot open TLS connections to an upstream.',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} failed {{ $value | humanize }} TLS handshakes to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (handshake errors, or the upstream's certificate failed CA or name verification).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    // cluster.<name>.ssl.{connection_error,fail_verify_error,fail_verify_san,fail_verify_no_cert,fail_verify_cert_hash}
    // (docs/root/configuration/upstream/cluster_manager/cluster_stats.rst, "TLS statistics"; _include/ssl_stats.rst).
    expr: (targets) => increaseOfCounters(matchers(targets),
      ['connection_error', 'fail_verify_error', 'fail_verify_san', 'fail_verify_no_cert', 'fail_verify_cert_hash'].map(c => `envoy_cluster_ssl_${c}`)),
  },
  {
    alert: 'EnvoyOutlierEjectionOverflow',
    summary: 'More hosts of an upstream fail than Envoy\'s outlier detection may eject.',
    description: `Envoy {{ $labels.container }} of pod ${WHERE} could not eject {{ $value | humanize }} failing hosts of cluster {{ $labels.envoy_cluster_name }} in 5 minutes: the upstream's maxEjectionPercent is reached, so requests still go to failing hosts.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    // cluster.<name>.outlier_detection.ejections_overflow (cluster_stats.rst, "Outlier detection statistics").
    expr: (targets) =>
      `sum by (${BY}, envoy_cluster_name) (increase(envoy_cluster_outlier_detection_ejections_overflow{${matchers(targets)}}[5m])) > 0`,
  },
]);
