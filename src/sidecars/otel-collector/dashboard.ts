import { DashboardPack, DashboardUnit } from '../../dashboards/pack';

/**
 * The collector's dashboard, from the internal telemetry its alerts read (core v0.159.0,
 * Prometheus pull exporter, counters with `_total`; the names in
 * `receiver/receiverhelper`, `exporter/exporterhelper` and
 * `processor/memorylimiterprocessor` `metadata.yaml`):
 * `otelcol_receiver_{accepted,refused,failed}_<signal>_total{receiver,transport}`,
 * `otelcol_exporter_{sent,send_failed,enqueue_failed}_<signal>_total{exporter}`,
 * `otelcol_exporter_queue_size` / `otelcol_exporter_queue_capacity` `{exporter,data_type}`
 * and `otelcol_processor_memory_limiter_refused_<signal>_total`, for the signals spans,
 * metric points and log records. Each counter is its own query (no `__name__` regex:
 * `rate()` drops the name, and the signals' series of one component share their labels).
 */

const SIGNALS: Array<[string, string]> = [['spans', 'spans'], ['metric_points', 'points'], ['log_records', 'log records']];

/** One query per signal: `sum by (<by>) (rate(otelcol_<family>_<signal>_total{$sidecar}[$__rate_interval]))`. */
function perSignal(family: string, by: string, legend: string): Array<{ expr: string; legend: string }> {
  return SIGNALS.map(([signal, shown]) => ({
    expr: `sum by (${by}) (rate(otelcol_${family}_${signal}_total{$sidecar}[$__rate_interval]))`,
    legend: `${legend} ${shown}`,
  }));
}

export const OTEL_COLLECTOR_DASHBOARD_PACK = DashboardPack.custom('otel-collector', {
  title: 'OpenTelemetry Collector',
  description: 'OpenTelemetry Collector sidecars: what the app sends, what reaches the backends, and what is refused, dropped or lost.',
  panels: [
    {
      title: 'Accepted from the app',
      description: 'Spans, metric points and log records the receivers took in (OTLP from the app, and the app\'s scraped metrics).',
      unit: DashboardUnit.PER_SECOND,
      queries: perSignal('receiver_accepted', 'pod', '{{pod}}'),
    },
    {
      title: 'Sent per exporter',
      description: 'Items each exporter delivered to its backend.',
      unit: DashboardUnit.PER_SECOND,
      queries: perSignal('exporter_sent', 'pod, exporter', '{{pod}} {{exporter}}'),
    },
    {
      title: 'Lost: sends given up per exporter',
      description: 'Items an exporter gave up on after its retries: that telemetry is lost (OtelCollectorExportFailed). The series appear with the first failure.',
      unit: DashboardUnit.PER_SECOND,
      queries: perSignal('exporter_send_failed', 'pod, exporter', '{{pod}} {{exporter}}'),
    },
    {
      title: 'Refused by receivers',
      description: 'Items a receiver answered the app with an error for (OtelCollectorDataRefused); `failed` only with the alpha gate receiverhelper.newReceiverMetrics.',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        ...perSignal('receiver_refused', 'pod, receiver', '{{pod}} {{receiver}} refused'),
        ...perSignal('receiver_failed', 'pod, receiver', '{{pod}} {{receiver}} failed'),
      ],
    },
    {
      title: 'Dropped: sending queue full',
      description: 'Items dropped because an exporter\'s sending queue was full (OtelCollectorDataRefused). The series appear with the first drop.',
      unit: DashboardUnit.PER_SECOND,
      queries: perSignal('exporter_enqueue_failed', 'pod, exporter', '{{pod}} {{exporter}}'),
    },
    {
      title: 'Sending queue fill',
      description: 'Each exporter\'s sending queue size over its capacity, in batches: a full queue drops data (OtelCollectorQueueNearCapacity at 80 %).',
      unit: DashboardUnit.RATIO,
      queries: [{
        expr: 'max by (pod, exporter) (otelcol_exporter_queue_size{$sidecar} / otelcol_exporter_queue_capacity{$sidecar})',
        legend: '{{pod}} {{exporter}}',
      }],
    },
    {
      title: 'Refused by the memory limiter',
      description: 'Items the memory limiter refused: the collector is at its soft memory limit (OtelCollectorMemoryLimited). The series appear with the first refusal.',
      unit: DashboardUnit.PER_SECOND,
      queries: perSignal('processor_memory_limiter_refused', 'pod', '{{pod}}'),
    },
  ],
});
