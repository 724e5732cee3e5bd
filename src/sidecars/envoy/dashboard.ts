import { DashboardPack, DashboardPanelType, DashboardUnit } from '../../dashboards/pack';

/**
 * Envoy's dashboard, from its `/stats/prometheus` (the stats port the PodMonitor scrapes).
 * Stat names: envoy docs `configuration/upstream/cluster_manager/cluster_stats` and
 * `configuration/http/http_conn_man/stats`; the `envoy_cluster_name`,
 * `envoy_response_code_class` tags are Envoy's default tag extractors
 * (`source/common/config/well_known_names.cc`); `envoy_server_state` is `server.state`.
 */
export const ENVOY_DASHBOARD_PACK = DashboardPack.custom('envoy', {
  title: 'Envoy',
  description: 'Envoy sidecars: server state, inbound and upstream traffic, errors, latency, circuit breakers.',
  panels: [
    {
      title: 'Server state',
      description: '0 LIVE, 1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING (EnvoyProxyUnhealthy when not 0 outside a deletion).',
      type: DashboardPanelType.STAT,
      queries: [{ expr: 'max by (pod) (envoy_server_state{$sidecar})' }],
    },
    {
      title: 'Inbound requests by response class',
      unit: DashboardUnit.REQUESTS_PER_SECOND,
      queries: [{
        expr: 'sum by (pod, envoy_response_code_class) (rate(envoy_http_downstream_rq_xx{$sidecar}[$__rate_interval]))',
        legend: '{{pod}} {{envoy_response_code_class}}xx',
      }],
    },
    {
      title: 'Active inbound connections',
      queries: [{ expr: 'sum by (pod) (envoy_http_downstream_cx_active{$sidecar})' }],
    },
    {
      title: 'Upstream requests by cluster',
      unit: DashboardUnit.REQUESTS_PER_SECOND,
      queries: [{
        expr: 'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_total{$sidecar}[$__rate_interval]))',
        legend: '{{envoy_cluster_name}}',
      }],
    },
    {
      title: 'Upstream 5xx share by cluster',
      description: 'The share of each cluster\'s requests answered with a 5xx (EnvoyUpstream5xxHigh, 5 % by default).',
      unit: DashboardUnit.RATIO,
      queries: [{
        expr: 'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{$sidecar, envoy_response_code_class="5"}[$__rate_interval]))\n/ sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{$sidecar}[$__rate_interval]))',
        legend: '{{envoy_cluster_name}}',
      }],
    },
    {
      title: 'Upstream latency p99 by cluster',
      unit: DashboardUnit.MILLISECONDS,
      queries: [{
        expr: 'histogram_quantile(0.99, sum by (le, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_time_bucket{$sidecar}[$__rate_interval])))',
        legend: '{{envoy_cluster_name}}',
      }],
    },
    {
      title: 'Circuit breaker overflows',
      description: 'Requests and connections refused by a cluster\'s circuit breakers (EnvoyCircuitBreakerOverflow).',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_pending_overflow{$sidecar}[$__rate_interval]))', legend: '{{envoy_cluster_name}} pending requests' },
        { expr: 'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_cx_overflow{$sidecar}[$__rate_interval]))', legend: '{{envoy_cluster_name}} connections' },
      ],
    },
    {
      title: 'Active upstream connections by cluster',
      queries: [{ expr: 'sum by (envoy_cluster_name) (envoy_cluster_upstream_cx_active{$sidecar})', legend: '{{envoy_cluster_name}}' }],
    },
  ],
});
