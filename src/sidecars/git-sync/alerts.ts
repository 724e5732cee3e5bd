import { AlertTarget, BY, either, matchers, WHERE } from '../../alerts/_rules';
import { AlertPack, AlertSeverity, AlertThresholdUnit } from '../../alerts/pack';

/**
 * git-sync's alerts, from its own metrics (kubernetes/git-sync v4.7.1):
 * - `git_sync_count_total{status}` (main.go:62-65), counted once per sync attempt
 *   (`updateSyncMetrics`, main.go:1164-1167) with `status` `success` (new content),
 *   `noop` (the remote had nothing new: the content is current) or `error`
 *   (main.go:92-96, 951-986). git-sync attempts one sync per `--period`, whatever the
 *   outcome (main.go:1035), so this counter is also the clock the content's age is read
 *   from: no `success`/`noop` across N attempts means content older than N periods.
 *   git-sync exposes no last-sync timestamp, so this is the metric that makes it possible.
 * - `git_sync_hook_run_count_total{name="webhook", status}` (pkg/hook/hook.go:32-35,
 *   counted at :145 and :150; the webhook's name at pkg/hook/webhook.go), the webhook's calls.
 */

/** A successful sync: new content, or the remote had nothing new. */
const OK = 'status=~"success|noop"';
/** The windows the sync alerts look over: the first that holds the attempts decides. */
const STALE_WINDOWS = ['10m', '30m', '1h', '3h', '6h', '12h', '1d'];

/** `sum by (namespace, pod, container) (increase(<metric>{<m>, <extra>}[<window>]))` */
function increase(metric: string, m: string, extra: string, window: string): string {
  return `sum by (${BY}) (increase(${metric}{${m}, ${extra}}[${window}]))`;
}

/** `build` over the matchers of the sidecars that keep syncing; undefined when there are none. */
function ofRunning(targets: AlertTarget[], build: (m: string) => string | undefined): string | undefined {
  const running = targets.filter(t => t.longRunning);
  return running.length === 0 ? undefined : build(matchers(running));
}

/**
 * Some window of STALE_WINDOWS holds at least `min` failed attempts and no successful one:
 * the last `min` attempts all failed. Period-independent: a short period fills the
 * 10-minute window, a long one the first window that holds `min` attempts.
 */
function failedInARow(m: string, min: number): string | undefined {
  return either(...STALE_WINDOWS.map(w =>
    `${increase('git_sync_count_total', m, 'status="error"', w)} ${min > 0 ? `>= ${min}` : '> 0'}\n`
    + `unless on (${BY}) ${increase('git_sync_count_total', m, OK, w)} > 0`));
}

export const GIT_SYNC_ALERT_PACK = AlertPack._builtIn('git-sync', [
  {
    alert: 'GitSyncFailing',
    summary: 'A git-sync sidecar fails to sync its repository.',
    description: `The last sync of git-sync {{ $labels.container }} in pod ${WHERE} failed and none has succeeded since, for the whole alert window: the app runs with the last content it got.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 10 * 60,
    scrapedOnly: true,
    expr: (targets) => ofRunning(targets, m => failedInARow(m, 0)),
  },
  {
    alert: 'GitSyncContentStale',
    summary: 'The content a git-sync sidecar serves is stale: its sync has failed for several periods in a row.',
    description: `git-sync {{ $labels.container }} of pod ${WHERE} has not synced successfully for at least the alert's threshold of sync periods (every attempt since failed): the app serves stale content.`,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    threshold: { value: 3, unit: AlertThresholdUnit.COUNT },
    scrapedOnly: true,
    expr: (targets, threshold) => ofRunning(targets, m => failedInARow(m, Math.max(threshold, 1))),
  },
  {
    alert: 'GitSyncWebhookFailing',
    summary: 'A git-sync sidecar cannot notify the app of new content.',
    description: `git-sync {{ $labels.container }} in pod ${WHERE} has called its webhook without success for the whole alert window (it retries every few seconds until a call succeeds): the app has not loaded the content git-sync published.`,
    severity: AlertSeverity.WARNING,
    forSeconds: 5 * 60,
    scrapedOnly: true,
    // A failed call is retried every --webhook-backoff (3 s, main.go:245-247; pkg/hook/hook.go:143-148)
    // until one succeeds, and no call follows a success until the next commit: errors that
    // keep counting mean the webhook still fails.
    expr: (targets) => ofRunning(targets, m => `${increase('git_sync_hook_run_count_total', m, 'name="webhook", status="error"', '3m')} > 0`),
  },
]);
