import { BY, matchers, NOT_DELETING, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

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
    description: `Envoy {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} requests or connections to cluster {{ $labels.envoy_cluster_name }} in 5 minutes (circuit breaker overflow).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    expr: (targets) =>
      `sum by (${BY}, envoy_cluster_name) (increase({__name__=~"envoy_cluster_upstream_(rq_pending|cx)_overflow", ${matchers(targets)}}[5m])) > 0`,
  },
]);
