import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * configmap-reload's alerts, from its metrics: `configmap_reload_last_reload_error{webhook}`
 * is 1 while the last webhook call failed (`configmap_reload_request_errors_total{reason}`
 * counts them).
 */
export const RELOADER_ALERT_PACK = AlertPack._builtIn('config-reloader', [
  {
    alert: 'ConfigReloaderFailing',
    summary: 'A config reloader sidecar cannot make the app reload its configuration.',
    description: `The last reload webhook call of {{ $labels.container }} in pod ${WHERE} failed: the app runs with an old configuration.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    expr: (targets) =>
      `max by (${BY}) (configmap_reload_last_reload_error{${matchers(targets)}}) > 0`,
  },
]);
