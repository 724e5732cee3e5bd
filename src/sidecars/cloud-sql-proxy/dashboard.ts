import { DashboardPack, DashboardUnit } from '../../dashboards/pack';

/**
 * The Cloud SQL Auth Proxy's dashboard, from the `--prometheus` metrics its alerts read:
 * the Go connector's OpenCensus views (cloudsqlconn `internal/trace/metrics.go`) through
 * the OpenCensus Prometheus exporter, counters without `_total`:
 * `cloudsqlconn_refresh_success_count`, `cloudsqlconn_refresh_failure_count`
 * (also labelled `cloudsql_error_code`) and `cloudsqlconn_dial_failure_count`, each
 * labelled `cloudsql_instance` and `cloudsql_dialer_id` (a new id per proxy process,
 * summed away here). A series exists only from its first event on.
 */
export const CLOUD_SQL_PROXY_DASHBOARD_PACK = DashboardPack.custom('cloud-sql-proxy', {
  title: 'Cloud SQL Auth Proxy',
  description: 'Cloud SQL Auth Proxy sidecars: certificate refreshes and failed connections, per instance.',
  panels: [
    {
      title: 'Certificate refreshes in the last hour',
      description: 'Successful and failed refreshes of the client certificate per instance, failures with the Cloud SQL Admin API\'s error code (none when the error is not an API one). Failures with no success: new connections fail once the certificate expires (CloudSqlProxyRefreshFailing).',
      queries: [
        {
          expr: 'sum by (pod, cloudsql_instance) (increase(cloudsqlconn_refresh_success_count{$sidecar}[1h]))',
          legend: '{{pod}} {{cloudsql_instance}} ok',
        },
        {
          expr: 'sum by (pod, cloudsql_instance, cloudsql_error_code) (increase(cloudsqlconn_refresh_failure_count{$sidecar}[1h]))',
          legend: '{{pod}} {{cloudsql_instance}} failed {{cloudsql_error_code}}',
        },
      ],
    },
    {
      title: 'Failed connections per instance',
      description: 'Connections from the app the proxy could not open to the instance (CloudSqlProxyDialFailures).',
      unit: DashboardUnit.PER_SECOND,
      queries: [{
        expr: 'sum by (pod, cloudsql_instance) (rate(cloudsqlconn_dial_failure_count{$sidecar}[$__rate_interval]))',
        legend: '{{pod}} {{cloudsql_instance}}',
      }],
    },
  ],
});
