import { DashboardPack, DashboardUnit } from '../../dashboards/pack';

/**
 * The StatsD exporter's dashboard, from its own metrics (the port the PodMonitor scrapes;
 * prometheus/statsd_exporter v0.28.0 `main.go` and `pkg/`): `statsd_exporter_udp_packets_total`,
 * `statsd_exporter_samples_total`, `statsd_exporter_events_unmapped_total`,
 * `statsd_exporter_sample_errors_total{reason}`, `statsd_exporter_tag_errors_total`,
 * `statsd_exporter_events_conflict_total`, `statsd_exporter_udp_packet_drops_total`.
 */
export const STATSD_EXPORTER_DASHBOARD_PACK = DashboardPack.custom('statsd-exporter', {
  title: 'StatsD exporter',
  description: 'StatsD exporter sidecars: what the app sends, and what is rejected or dropped.',
  panels: [
    {
      title: 'Samples and packets received',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (pod) (rate(statsd_exporter_samples_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} samples' },
        { expr: 'sum by (pod) (rate(statsd_exporter_udp_packets_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} UDP packets' },
      ],
    },
    {
      title: 'Rejected samples',
      description: 'Samples the exporter could not parse, with bad tags, or conflicting with an earlier metric type (StatsdExporterErrors).',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (pod, reason) (rate(statsd_exporter_sample_errors_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} {{reason}}' },
        { expr: 'sum by (pod) (rate(statsd_exporter_tag_errors_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} tag errors' },
        { expr: 'sum by (pod) (rate(statsd_exporter_events_conflict_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} type conflicts' },
      ],
    },
    {
      title: 'Unmapped events and dropped packets',
      unit: DashboardUnit.PER_SECOND,
      queries: [
        { expr: 'sum by (pod) (rate(statsd_exporter_events_unmapped_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} unmapped' },
        { expr: 'sum by (pod) (rate(statsd_exporter_udp_packet_drops_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} UDP drops' },
      ],
    },
  ],
});
