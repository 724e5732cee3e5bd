import { BY, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity } from '../../alerts/pack';

/**
 * configmap-reload's alerts, from its metrics (configmap-reload.go at v0.14.0).
 *
 * `configmap_reload_last_reload_error{webhook}` is set to 1 by every failed try
 * (`setFailureMetrics`, line 170) and to 0 by a success (line 176); between tries the
 * reloader sleeps 10 s (lines 127, 135), and when every try failed it counts
 * `configmap_reload_request_errors_total{reason="retries_exhausted"}` (line 146). So the
 * gauge is 1 while a reload is still being retried, and a retry may yet succeed: the
 * reload has failed when the gauge is 1 and no try has failed for 2 minutes (the retries
 * are over). A series of the error counter appears with its first error and counts as a
 * try too.
 */
export const RELOADER_ALERT_PACK = AlertPack._builtIn('config-reloader', [
  {
    alert: 'ConfigReloaderFailing',
    summary: 'A config reloader sidecar cannot make the app reload its configuration.',
    description: `The reload webhook of {{ $labels.container }} in pod ${WHERE} failed on every try: the app runs with an old configuration.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    expr: (targets) => {
      const m = matchers(targets);
      const tries = `configmap_reload_request_errors_total{${m}, reason!="retries_exhausted"}`;
      return [
        `max by (${BY}) (configmap_reload_last_reload_error{${m}}) > 0`,
        '# Still retrying: a try failed in the last 2 minutes (a new series is a failed try too).',
        `unless on (${BY}) (`,
        `  sum by (${BY}) (increase(${tries}[2m])) > 0`,
        `  or count by (${BY}) (${tries} unless ${tries} offset 2m)`,
        ')',
      ].join('\n');
    },
  },
]);
