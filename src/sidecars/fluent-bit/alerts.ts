import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/**
 * Fluent Bit's alerts, from its `/api/v2/metrics/prometheus`:
 * `fluentbit_input_records_total` and `fluentbit_output_{proc,dropped}_records_total`,
 * `fluentbit_output_retries_failed_total`, each labelled with its plugin instance's
 * `name` (inputs and outputs never share one, so they are summed per pod before
 * subtracting); `fluentbit_filter_{add,drop}_records_total`.
 */
export const FLUENT_BIT_ALERT_PACK = AlertPack._builtIn('fluent-bit', [
  {
    alert: 'FluentBitBacklogHigh',
    summary: 'A Fluent Bit sidecar has read many more log records than it has delivered.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} holds {{ $value | humanize }} records it has read but not yet delivered.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 10 * 60,
    threshold: { value: 10000, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: true,
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
        `) > ${threshold}`,
      ].join('\n');
    },
  },
  {
    alert: 'FluentBitOutputRetriesFailed',
    summary: 'A Fluent Bit sidecar gave up delivering chunks: logs were lost.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} discarded {{ $value | humanize }} chunks for output {{ $labels.name }} after exhausting its retries in 5 minutes.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) =>
      `sum by (${BY}, name) (increase(fluentbit_output_retries_failed_total{${matchers(targets)}}[5m])) > 0`,
  },
  {
    alert: 'FluentBitRecordsDropped',
    summary: 'A Fluent Bit sidecar dropped log records.',
    description: `Fluent Bit {{ $labels.container }} of pod ${WHERE} dropped {{ $value | humanize }} records in output {{ $labels.name }} in 5 minutes.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    scrapedOnly: true,
    expr: (targets) =>
      `sum by (${BY}, name) (increase(fluentbit_output_dropped_records_total{${matchers(targets)}}[5m])) > 0`,
  },
]);
