import { BY, grownIn, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * The exporter's error counters (main.go at v0.28.0): `statsd_exporter_tag_errors_total`
 * (a plain counter, 0 from the start), and the vectors `statsd_exporter_sample_errors_total{reason}`,
 * `statsd_exporter_events_conflict_total{type}` and `statsd_exporter_events_error_total{reason}`,
 * whose series appear only with their first error.
 */
const ERROR_COUNTERS = [
  'statsd_exporter_sample_errors_total',
  'statsd_exporter_tag_errors_total',
  'statsd_exporter_events_conflict_total',
  'statsd_exporter_events_error_total',
];

/** The errors of one counter in the last 10 minutes, labelled `metric`. */
function errors(counter: string, m: string): string {
  return `label_replace(${grownIn(`${counter}{${m}}`, '10m')}, "metric", "${counter}", "", "")`;
}

/**
 * The StatsD exporter's alerts, from its own metrics.
 */
export const STATSD_EXPORTER_ALERT_PACK = AlertPack._builtIn('statsd-exporter', [
  {
    alert: 'StatsdExporterErrors',
    summary: 'A StatsD exporter sidecar drops samples it cannot parse or map.',
    description: `StatsD exporter {{ $labels.container }} of pod ${WHERE} rejected {{ $value | humanize }} samples in 10 minutes (parse errors, bad tags, metric type conflicts or invalid events).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      return [
        `sum by (${BY}) (`,
        ERROR_COUNTERS.map(c => `  ${errors(c, m)}`).join('\n  or\n'),
        ') > 0',
      ].join('\n');
    },
  },
]);
