import { BY, grownIn, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/**
 * The collector's alerts, from its own metrics (internal telemetry, Prometheus pull
 * exporter, counters with `_total`), at core v0.159.0:
 *
 * - `otelcol_exporter_send_failed_{spans,metric_points,log_records}_total{exporter}`:
 *   items the exporter gave up on after its retries (exporterhelper's obs-report sender
 *   sits outside the retry sender: base_exporter.go:78-85), added only when a send fails
 *   (obs_report_sender.go:154): the series appear with the first failure.
 * - `otelcol_exporter_enqueue_failed_{...}_total{exporter}`: items dropped because the
 *   sending queue was full (queue/obs_queue.go); from the first drop.
 * - `otelcol_receiver_{refused,failed}_{...}_total{receiver,transport}`: items a receiver
 *   took in and got an error for (receiverhelper/obsreport.go:184-197, added on every
 *   request, 0 on success: the series exist from the first request).
 * - `otelcol_exporter_queue_size` / `otelcol_exporter_queue_capacity` `{exporter,data_type}`
 *   (gauges, in batches; exporterhelper/metadata.yaml).
 * - `otelcol_processor_memory_limiter_refused_{...}_total{processor}`: items the memory
 *   limiter refused (memorylimiterprocessor/obsreport.go, `refused`); from the first refusal.
 *
 * Each counter is read on its own (never with a `__name__` regex: the spans and log-record
 * counters of one exporter have the same labels, and `increase()` drops the name).
 */

const SIGNALS = ['spans', 'metric_points', 'log_records'];

/** The growth of one counter in the last 10 minutes, labelled `metric`. */
function grown(counter: string, m: string): string {
  return `label_replace(${grownIn(`${counter}{${m}}`, '10m')}, "metric", "${counter}", "", "")`;
}

/** `sum by (by) (...) > 0` over the counters `otelcol_<family>_<signal>_total` of every family. */
function anyGrowth(families: string[], by: string, m: string): string {
  return [
    `sum by (${by}) (`,
    families.flatMap(family => SIGNALS.map(s => `  ${grown(`otelcol_${family}_${s}_total`, m)}`)).join('\n  or\n'),
    ') > 0',
  ].join('\n');
}

export const OTEL_COLLECTOR_ALERT_PACK = AlertPack._builtIn('otel-collector', [
  {
    alert: 'OtelCollectorExportFailed',
    summary: 'An OpenTelemetry Collector sidecar gave up sending telemetry: it was lost.',
    description: `Collector {{ $labels.container }} of pod ${WHERE} failed to send {{ $value | humanize }} spans, points or log records with exporter {{ $labels.exporter }} in 10 minutes, after its retries.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) => anyGrowth(['exporter_send_failed'], `${BY}, exporter`, matchers(targets)),
  },
  {
    alert: 'OtelCollectorDataRefused',
    summary: 'An OpenTelemetry Collector sidecar refused or dropped incoming telemetry.',
    description: `Collector {{ $labels.container }} of pod ${WHERE} refused or dropped {{ $value | humanize }} spans, points or log records in 10 minutes (a receiver returned an error to the app, or a full sending queue dropped them).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    scrapedOnly: true,
    // With the alpha gate receiverhelper.newReceiverMetrics (off at v0.159.0), errors not
    // from the pipeline count as `failed` instead of `refused`: both are read.
    expr: (targets) => anyGrowth(['receiver_refused', 'receiver_failed', 'exporter_enqueue_failed'], BY, matchers(targets)),
  },
  {
    alert: 'OtelCollectorQueueNearCapacity',
    summary: 'An OpenTelemetry Collector sidecar\'s sending queue is nearly full.',
    description: `The sending queue of exporter {{ $labels.exporter }} in collector {{ $labels.container }} of pod ${WHERE} is {{ $value | humanizePercentage }} full: the backend is slow or unreachable, and a full queue drops data.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    threshold: { value: 0.8, unit: AlertThresholdUnit.RATIO },
    scrapedOnly: true,
    expr: (targets, threshold) => {
      const m = matchers(targets);
      return `max by (${BY}, exporter) (otelcol_exporter_queue_size{${m}} / otelcol_exporter_queue_capacity{${m}}) > ${threshold}`;
    },
  },
  {
    alert: 'OtelCollectorMemoryLimited',
    summary: 'An OpenTelemetry Collector sidecar\'s memory limiter is refusing data.',
    description: `The memory limiter of collector {{ $labels.container }} of pod ${WHERE} refused {{ $value | humanize }} spans, points or log records in 10 minutes: the collector is at its soft memory limit.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) => anyGrowth(['processor_memory_limiter_refused'], BY, matchers(targets)),
  },
]);
