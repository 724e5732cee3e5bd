import { BY, matchers, NOT_DELETING, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/**
 * Fluent Bit's alerts, from its `/api/v2/metrics/prometheus` at v5.1.1:
 * `fluentbit_input_records_total` (src/flb_input.c:1614),
 * `fluentbit_input_ingestion_paused` (src/flb_input.c:1682, a gauge, 1 while the
 * input is paused), `fluentbit_output_{proc,dropped,retried}_records_total` and
 * `fluentbit_output_retries_failed_total` (src/flb_output.c:1505-1553), each
 * labelled with its plugin instance's `name` (inputs and outputs never share one);
 * `fluentbit_filter_{add,drop}_records_total` (src/flb_filter.c). Every output
 * series exists from the start with the value 0.
 *
 * Each output is judged on its own: an output that delivers nothing while another
 * delivers everything is a stalled output, not a healthy pipeline.
 */
export const FLUENT_BIT_ALERT_PACK = AlertPack._builtIn('fluent-bit', [
  {
    alert: 'FluentBitBacklogHigh',
    summary: 'A Fluent Bit output is far behind what its sidecar has read.',
    description: `Output {{ $labels.name }} of Fluent Bit {{ $labels.container }} in pod ${WHERE} has neither delivered nor dropped {{ $value | humanize }} of the records the sidecar has read.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 10 * 60,
    threshold: { value: 10000, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: true,
    expr: (targets, threshold) => {
      const m = matchers(targets);
      const perPod = (metric: string) => `sum by (${BY}) (${metric}{${m}})`;
      const perOutput = (metric: string) => `sum by (${BY}, name) (${metric}{${m}})`;
      // Filter counters exist only where filters do: count them as 0 elsewhere.
      const orZero = (metric: string) => `(${perPod(metric)} or ${perPod('fluentbit_input_records_total')} * 0)`;
      return [
        '(',
        `  ${perPod('fluentbit_input_records_total')}`,
        `  + ${orZero('fluentbit_filter_add_records_total')}`,
        `  - ${orZero('fluentbit_filter_drop_records_total')}`,
        ')',
        '- on (namespace, pod, container) group_right ()',
        '(',
        `  ${perOutput('fluentbit_output_proc_records_total')}`,
        `  + ${perOutput('fluentbit_output_dropped_records_total')}`,
        `) > ${threshold}`,
      ].join('\n');
    },
  },
  {
    alert: 'FluentBitPipelineStalled',
    summary: 'A Fluent Bit output has stopped delivering, or its input has stopped reading.',
    description: `{{ $labels.name }} of Fluent Bit {{ $labels.container }} in pod ${WHERE} has made no progress for 5 minutes (an output retrying without delivering, or an input paused).`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      const increase = (metric: string) => `sum by (${BY}, name) (increase(${metric}{${m}}[5m]))`;
      return [
        '(',
        `  (${increase('fluentbit_output_retried_records_total')} > 0`,
        `    unless on (${BY}, name) ${increase('fluentbit_output_proc_records_total')} > 0)`,
        `  or max by (${BY}, name) (fluentbit_input_ingestion_paused{${m}}) == 1`,
        ')',
        NOT_DELETING,
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
