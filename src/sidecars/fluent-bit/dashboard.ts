import { DashboardPack, DashboardPanelType, DashboardUnit } from '../../dashboards/pack';

/**
 * Fluent Bit's dashboard, from its `/api/v2/metrics/prometheus` (the port the PodMonitor
 * scrapes): fluent/fluent-bit v5.1.1 (and 3.2) `src/flb_input.c` (`fluentbit_input_records_total`,
 * `fluentbit_input_ingestion_paused`) and `src/flb_output.c`
 * (`fluentbit_output_{proc,dropped,retried}_records_total`, `fluentbit_output_retries_total`,
 * `fluentbit_output_retries_failed_total`, `fluentbit_output_errors_total`), labelled with
 * the plugin instance's `name`.
 */
export const FLUENT_BIT_DASHBOARD_PACK = DashboardPack.custom('fluent-bit', {
  title: 'Fluent Bit',
  description: 'Fluent Bit sidecars: records read and delivered per output, backlog, retries, drops, paused inputs.',
  panels: [
    {
      title: 'Records read per input',
      unit: DashboardUnit.PER_SECOND,
      queries: [{ expr: 'sum by (pod, name) (rate(fluentbit_input_records_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}}' }],
    },
    {
      title: 'Records delivered per output',
      unit: DashboardUnit.PER_SECOND,
      queries: [{ expr: 'sum by (pod, name) (rate(fluentbit_output_proc_records_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}}' }],
    },
    {
      title: 'Backlog: records read but not delivered',
      description: 'Records read minus records delivered or dropped by the outputs, per pod (FluentBitBacklogHigh, 10000 by default).',
      queries: [{
        expr: 'sum by (pod) (fluentbit_input_records_total{$sidecar})\n- sum by (pod) (fluentbit_output_proc_records_total{$sidecar})\n- sum by (pod) (fluentbit_output_dropped_records_total{$sidecar})',
      }],
    },
    {
      title: 'Inputs paused',
      description: '1 while an input stopped reading because its buffer is full (Mem_Buf_Limit or storage.max_chunks_up).',
      type: DashboardPanelType.STAT,
      queries: [{ expr: 'max by (pod) (fluentbit_input_ingestion_paused{$sidecar})' }],
    },
    {
      title: 'Retries and failed retries per output',
      description: 'Chunks retried, and chunks given up after the last retry: logs lost (FluentBitOutputRetriesFailed).',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (pod, name) (rate(fluentbit_output_retries_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}} retries' },
        { expr: 'sum by (pod, name) (rate(fluentbit_output_retries_failed_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}} gave up' },
      ],
    },
    {
      title: 'Errors and dropped records per output',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (pod, name) (rate(fluentbit_output_errors_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}} errors' },
        { expr: 'sum by (pod, name) (rate(fluentbit_output_dropped_records_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{name}} dropped records' },
      ],
    },
  ],
});
