import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GIT_SYNC_ALERT_PACK } from './alerts';
import { GitSyncAuth } from './auth';
import { GIT_SYNC_DASHBOARD_PACK } from './dashboard';
import { DEFAULT_CONTENT_DIR, DEFAULT_LINK, DEFAULT_METRICS_PORT, DEFAULT_NAME, gitSyncSpec } from './spec';
import { GitSyncSubmodules } from './submodules';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions, SidecarPlacement } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

/**
 * Properties of a GitSyncSidecar.
 */
export interface GitSyncSidecarProps extends SidecarOptions {
  /**
   * The pod to add git-sync to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The repository: an `https://` URL, or an SSH one (`ssh://git@host/org/repo.git`
   * or `git@host:org/repo.git`, with `GitSyncAuth.ssh()`). Never with credentials in
   * it: pass them with `auth`.
   */
  readonly repo: string;

  /**
   * The branch, tag or commit to sync. A full commit hash never changes, so it is
   * synced once (git-sync stops syncing after a hash).
   *
   * @default 'HEAD' (the remote's default branch)
   */
  readonly ref?: string;

  /**
   * How the repository is authenticated to.
   *
   * @default - none: a public repository over HTTPS
   */
  readonly auth?: GitSyncAuth;

  /**
   * Time between syncs, in whole seconds (at least 1).
   *
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;

  /**
   * Commits of history to fetch; 0 fetches all of it.
   *
   * @default 1
   */
  readonly depth?: number;

  /**
   * What to do with submodules. Submodules on other hosts need credentials and known
   * hosts of their own: turn them off when the content does not need them.
   *
   * @default GitSyncSubmodules.RECURSIVE
   */
  readonly submodules?: GitSyncSubmodules;

  /**
   * The app's directory of the content: the whole shared volume, mounted read-only.
   * The checked-out files are under `<contentDir>/<link>` (the `contentPath` field),
   * a symlink git-sync swaps atomically on each new commit.
   *
   * @default '/git'
   */
  readonly contentDir?: string;

  /**
   * The name of the symlink to the checked-out files, in `contentDir`.
   *
   * @default 'current'
   */
  readonly link?: string;

  /**
   * Size limit of the emptyDir that holds the repository and its checkout (about
   * twice the size of the content at depth 1, plus one checkout during a swap).
   *
   * @default Size.gibibytes(1)
   */
  readonly contentSizeLimit?: Size;

  /**
   * A URL git-sync calls (POST) after each sync that changed the content, so the
   * app reloads it: an absolute http(s) URL without credentials, for example
   * `http://127.0.0.1:8080/-/reload`. Only for a sidecar that keeps syncing.
   *
   * @default - no notification
   */
  readonly webhookUrl?: string;

  /**
   * The port of git-sync's HTTP server: `/` (the probes: 503 until the first sync)
   * and `/metrics`.
   *
   * @default 9422
   */
  readonly metricsPort?: number;

  /**
   * Sync once, as an init container that runs to completion before the app (any
   * mode), instead of a native sidecar that keeps syncing.
   *
   * @default - true on workloads that run to completion (Job, CronJob, restartPolicy
   * Never/OnFailure) and for a `ref` that is a commit hash; false elsewhere
   */
  readonly oneTime?: boolean;

  /**
   * Consecutive failed syncs after which git-sync exits (-1: never).
   *
   * @default - -1 for a sidecar that keeps syncing (its failures are metrics and
   * alerts, the last content stays); 3 for a one-time sync
   */
  readonly maxFailures?: number;

  /**
   * The longest one sync may take, in whole seconds.
   *
   * @default Duration.minutes(2)
   */
  readonly syncTimeout?: Duration;

  /**
   * How long the first sync may take before the start counts as failed (the startup
   * probe's budget, checked every second), in whole seconds.
   *
   * @default Duration.minutes(5)
   */
  readonly startupTimeout?: Duration;

  /**
   * The git-sync image.
   *
   * @default SidecarImages.GIT_SYNC
   */
  readonly image?: string;
}

/**
 * A Git repository's content for the app, kept in sync: kubernetes/git-sync v4.
 *
 * - The content is in an emptyDir only git-sync writes, mounted whole and
 *   read-only into the app at `contentDir` (`/git`); the files are at `contentPath`
 *   (`/git/current`), a relative symlink git-sync swaps atomically on each new
 *   commit, so the volume is never mounted by subPath.
 * - `--repo`, `--ref`, `--root=/git`, `--link`, `--period`, `--depth=1`; credentials
 *   (`GitSyncAuth`) from a Secret mounted read-only into git-sync only.
 * - A native sidecar with `--http-bind`: its startup probe on `/` (every second)
 *   fails until the first sync, so the app starts only with the content; metrics
 *   on the named port `git-sync` (9422, `/metrics`); `--webhook-url` notifies the
 *   app after each change.
 * - LEGACY: an ordinary container, first, whose blocking postStart hook waits for
 *   the first sync the same way.
 * - On a Job or CronJob (or `oneTime`), in any mode: `--one-time` in an init
 *   container that runs before the app and exits, so the Job completes.
 * - DATA_SYNC resources (100m/128Mi); runs as uid/gid 65533, the image's own user;
 *   read-only root filesystem (`/tmp`, its HOME, is an emptyDir). The files are
 *   world-readable (umask 022), so the app reads them under any uid, without an
 *   fsGroup.
 *
 * Image: `registry.k8s.io/git-sync/git-sync:v4.7.1`. Container name `git-sync`.
 */
export class GitSyncSidecar extends Sidecar {
  /** git-sync's alerts (GitSyncFailing, GitSyncContentStale, GitSyncWebhookFailing), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = GIT_SYNC_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = GIT_SYNC_DASHBOARD_PACK;

  /** The app's path of the checked-out files: `<contentDir>/<link>`. */
  public readonly contentPath: string;

  /** Whether git-sync syncs once before the app instead of running beside it. */
  public readonly oneTime: boolean;

  /** The port of git-sync's HTTP server (`/` and `/metrics`); undefined for a one-time sync, which has none. */
  public readonly metricsPort?: number;

  public constructor(scope: Construct, id: string, props: GitSyncSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, gitSyncSpec));
    const dir = (props.contentDir ?? DEFAULT_CONTENT_DIR).replace(/\/+$/, '');
    this.contentPath = `${dir}/${props.link ?? DEFAULT_LINK}`;
    this.oneTime = this.placement === SidecarPlacement.INIT_CONTAINER;
    this.metricsPort = this.oneTime ? undefined : props.metricsPort ?? DEFAULT_METRICS_PORT;
  }
}
