import { DashboardPack, DashboardUnit } from '../../dashboards/pack';

/**
 * git-sync's dashboard, from the metrics its alerts read (kubernetes/git-sync v4.7.1):
 * `git_sync_count_total{status}` (main.go:62-65), one per sync attempt with `status`
 * `success` (new content), `noop` (nothing new) or `error`, and
 * `git_sync_hook_run_count_total{name="webhook", status}` (pkg/hook/hook.go:32-35), the
 * webhook's calls. A one-time sync has no metrics endpoint, so no tool panels.
 */
export const GIT_SYNC_DASHBOARD_PACK = DashboardPack.custom('git-sync', {
  title: 'git-sync',
  description: 'git-sync sidecars: sync attempts by outcome, and the webhook that tells the app about new content.',
  panels: [
    {
      title: 'Sync attempts in the last hour',
      description: 'One attempt per period: success (new content), noop (nothing new, the content is current) or error. Errors with no success or noop mean stale content (GitSyncFailing, GitSyncContentStale).',
      queries: [{
        expr: 'sum by (pod, status) (increase(git_sync_count_total{$sidecar}[1h]))',
        legend: '{{pod}} {{status}}',
      }],
    },
    {
      title: 'Failed share of sync attempts',
      description: 'Failed attempts over all attempts in the last hour.',
      unit: DashboardUnit.RATIO,
      queries: [{
        expr: 'sum by (pod) (increase(git_sync_count_total{$sidecar, status="error"}[1h])) / sum by (pod) (increase(git_sync_count_total{$sidecar}[1h]))',
      }],
    },
    {
      title: 'Webhook calls',
      description: 'Calls to the app\'s webhook after new content; a failed call is retried every 3 s until one succeeds (GitSyncWebhookFailing).',
      unit: DashboardUnit.PER_SECOND,
      queries: [{
        expr: 'sum by (pod, status) (rate(git_sync_hook_run_count_total{$sidecar, name="webhook"}[$__rate_interval]))',
        legend: '{{pod}} {{status}}',
      }],
    },
  ],
});
