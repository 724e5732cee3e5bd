import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * The StatsD exporter's alerts, from its own metrics:
 * `statsd_exporter_sample_errors_total{reason}`, `statsd_exporter_tag_errors_total`,
 * `statsd_exporter_events_conflict_total`.
 */
export const STATSD_EXPORTER_ALERT_PACK = AlertPack._builtIn('statsd-exporter', [
  {
    alert: 'StatsdExporterErrors',
    summary: 'A StatsD exporter sidecar drops samples it cannot parse or map.',
    description: `StatsD exporter {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} samples in 10 minutes (parse errors, bad tags or metric type conflicts).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) =>
      `sum by (${BY}) (increase({__name__=~"statsd_exporter_(sample_errors|tag_errors|events_conflict)_total", ${matchers(targets)}}[10m])) > 0`,
  },
]);
