import { BY, grownIn, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/*
 * The Cloud SQL Auth Proxy's alerts, from its `--prometheus` metrics. The proxy exports
 * the Go connector's OpenCensus views (cloud.google.com/go/cloudsqlconn
 * internal/trace/metrics.go:71-120, registered by the dialer: dialer.go:310) through
 * the OpenCensus Prometheus exporter (contrib.go.opencensus.io/exporter/prometheus
 * v0.4.2, prometheus.go:227-233 and sanitize.go: the view name with '/' turned into
 * '_', no namespace since the proxy sets none; Count views become counters without a
 * `_total` suffix):
 *
 * - `cloudsqlconn_refresh_success_count`, `cloudsqlconn_refresh_failure_count` (the
 *   latter also labelled `cloudsql_error_code`): certificate refreshes;
 * - `cloudsqlconn_dial_failure_count`: connections from the app that could not reach
 *   the instance;
 *
 * each labelled `cloudsql_instance` (the connection name) and `cloudsql_dialer_id` (a
 * new UUID for every proxy process). A series exists only from its first event on: a
 * failure counter appears with the first failure, and again with a new dialer id after
 * every restart.
 */

const REFRESH_FAILURES = 'cloudsqlconn_refresh_failure_count';
const REFRESH_SUCCESSES = 'cloudsqlconn_refresh_success_count';
const DIAL_FAILURES = 'cloudsqlconn_dial_failure_count';
const BY_INSTANCE = `${BY}, cloudsql_instance`;

/** Per sidecar and instance: how much `metric` grew in `window`. */
function grown(metric: string, m: string, window: string): string {
  return `sum by (${BY_INSTANCE}) (${grownIn(`${metric}{${m}}`, window)})`;
}

export const CLOUD_SQL_PROXY_ALERT_PACK = AlertPack._builtIn('cloud-sql-proxy', [
  {
    alert: 'CloudSqlProxyRefreshFailing',
    summary: 'A Cloud SQL Auth Proxy sidecar cannot refresh its certificate for an instance: new connections will fail once it expires.',
    description: `Cloud SQL Auth Proxy {{ $labels.container }} of pod ${WHERE} failed {{ $value | humanize }} certificate refreshes for {{ $labels.cloudsql_instance }} in 15 minutes, with no successful one.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      return `${grown(REFRESH_FAILURES, m, '15m')} > 0\nunless on (${BY_INSTANCE})\n${grown(REFRESH_SUCCESSES, m, '15m')} > 0`;
    },
  },
  {
    alert: 'CloudSqlProxyDialFailures',
    summary: 'A Cloud SQL Auth Proxy sidecar fails to connect the app to an instance.',
    description: `Cloud SQL Auth Proxy {{ $labels.container }} of pod ${WHERE} failed {{ $value | humanize }} connections to {{ $labels.cloudsql_instance }} in 10 minutes.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    threshold: { value: 5, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: true,
    expr: (targets, threshold) => `${grown(DIAL_FAILURES, matchers(targets), '10m')} > ${threshold}`,
  },
]);
