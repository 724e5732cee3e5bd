import { DashboardPack, DashboardPanelType, DashboardUnit } from '../../dashboards/pack';

/**
 * The config reloader's dashboard, from configmap-reload's metrics (the port the PodMonitor
 * scrapes; jimmidyson/configmap-reload `configmap-reload.go`):
 * `configmap_reload_last_reload_error{webhook}`, `configmap_reload_success_reloads_total`,
 * `configmap_reload_request_errors_total{reason}`, `configmap_reload_last_request_duration_seconds`.
 */
export const RELOADER_DASHBOARD_PACK = DashboardPack.custom('config-reloader', {
  title: 'Config reloader',
  description: 'Config reloader sidecars: reloads of the app, failures and their reasons.',
  panels: [
    {
      title: 'Last reload failed',
      description: '1 while the last call of the app\'s reload webhook failed (ConfigReloaderFailing).',
      type: DashboardPanelType.STAT,
      queries: [{ expr: 'max by (pod) (configmap_reload_last_reload_error{$sidecar})' }],
    },
    {
      title: 'Reloads',
      unit: DashboardUnit.NUMBER,
      queries: [
        { expr: 'sum by (pod) (increase(configmap_reload_success_reloads_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} reloaded' },
        { expr: 'sum by (pod, reason) (increase(configmap_reload_request_errors_total{$sidecar}[$__rate_interval]))', legend: '{{pod}} failed: {{reason}}' },
      ],
    },
    {
      title: 'Reload webhook duration',
      unit: DashboardUnit.SECONDS,
      queries: [{ expr: 'max by (pod) (configmap_reload_last_request_duration_seconds{$sidecar})' }],
    },
  ],
});
