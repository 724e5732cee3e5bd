import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CLOUD_SQL_PROXY_ALERT_PACK } from './alerts';
import { CloudSqlCredentials } from './credentials';
import { CLOUD_SQL_PROXY_DASHBOARD_PACK } from './dashboard';
import { CloudSqlInstance, CloudSqlIpType } from './instance';
import { cloudSqlProxySpec, DEFAULT_NAME, resolveInstances } from './spec';
import { AlertPack } from '../../alerts/pack';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps, specContext } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

/**
 * Properties of a CloudSqlProxySidecar.
 */
export interface CloudSqlProxySidecarProps extends SidecarOptions {
  /**
   * The pod to add the proxy to.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The instances the app connects to (at least one), each on its own local port.
   */
  readonly instances: CloudSqlInstance[];

  /**
   * Which IP address of the instances the proxy connects to (an instance can choose
   * its own).
   *
   * @default CloudSqlIpType.PRIVATE
   */
  readonly ipType?: CloudSqlIpType;

  /**
   * Automatic IAM database authentication (`--auto-iam-authn`): the app logs in as
   * the IAM principal, with no database password (an instance can choose its own).
   *
   * @default false
   */
  readonly autoIamAuthn?: boolean;

  /**
   * Where the proxy's Google credentials come from.
   *
   * @default CloudSqlCredentials.workloadIdentity()
   */
  readonly credentials?: CloudSqlCredentials;

  /**
   * A Google service account to impersonate (`--impersonate-service-account`), with
   * the credentials' identity as the caller.
   *
   * @default - no impersonation
   */
  readonly impersonateServiceAccount?: string;

  /**
   * The port of the proxy's HTTP server: health checks (`/startup`, `/readiness`,
   * `/liveness`) and Prometheus metrics (`/metrics`).
   *
   * @default 9801
   */
  readonly metricsPort?: number;

  /**
   * How long the proxy waits for open connections to close after SIGTERM
   * (`--max-sigterm-delay`); the pod's grace period covers it.
   *
   * @default Duration.seconds(10)
   */
  readonly drainTime?: Duration;

  /**
   * How long the proxy still accepts new connections after SIGTERM
   * (`--min-sigterm-delay`), before it waits for the open ones to close. Useful in
   * LEGACY mode, where the proxy gets SIGTERM together with the app, for an app that
   * opens connections while it shuts down; a native proxy gets SIGTERM only after the
   * app has exited. The grace period covers it.
   *
   * @default Duration.seconds(0)
   */
  readonly acceptAfterSigterm?: Duration;

  /**
   * How long the proxy may take to start (fetch certificates, open its listeners)
   * before the kubelet restarts it; the app waits for it.
   *
   * @default Duration.seconds(60)
   */
  readonly startupTimeout?: Duration;

  /**
   * Before it reports started, connect to every instance once (`--run-connection-test`):
   * the app then starts only when its databases are reachable. An unreachable instance
   * makes the proxy exit and restart, holding the pod in PodInitializing (the
   * SidecarStartupBlocked alert) until it is reachable.
   *
   * @default false
   */
  readonly connectionTest?: boolean;

  /**
   * The most connections the proxy accepts (`--max-connections`); at the limit its
   * readiness check fails.
   *
   * @default - no limit
   */
  readonly maxConnections?: number;

  /**
   * Log in Cloud Logging's LogEntry JSON format (`--structured-logs`).
   *
   * @default true
   */
  readonly structuredLogs?: boolean;

  /**
   * The cloud-sql-proxy image (a mirror or custom build of the same version).
   *
   * @default SidecarImages.CLOUD_SQL_PROXY
   */
  readonly image?: string;
}

/**
 * The Cloud SQL Auth Proxy v2 next to the app: the app connects to its databases on
 * 127.0.0.1, the proxy authorizes (IAM) and encrypts (mTLS) the connections.
 *
 * - One local port per instance on `127.0.0.1` (`<connection name>?port=<n>`); the
 *   app gets `DB_HOST`/`DB_PORT` (`DB_HOST_1`/`DB_PORT_1`, ... for more instances).
 * - Private IP by default (`--private-ip`), `--psc` or public per instance; automatic
 *   IAM database authentication (`--auto-iam-authn`) as an option.
 * - Workload Identity by default: no key file. A key file from a Secret only with
 *   `CloudSqlCredentials.fromSecret()`, mounted read-only into the proxy alone.
 * - Health checks and metrics on one HTTP port (`cloudsql-http`, 9801): startup
 *   `/startup` at 1 s periods (the app needs its database at start, so it starts once
 *   the proxy listens), readiness `/readiness`, liveness `/liveness` at 60 s periods;
 *   `--prometheus` metrics on `/metrics`.
 * - `--exit-zero-on-sigterm` always (a Job's pod completes instead of ending with exit
 *   143) and `--max-sigterm-delay` from `drainTime`, which the grace period covers.
 * - Optionally `--run-connection-test` (`connectionTest`): the app starts only once every
 *   instance is reachable.
 * - PROXY resources (100m/128Mi, limits 500m/512Mi) and start rank 300; runs as uid/gid
 *   65532, the image's distroless `nonroot` user; read-only root filesystem.
 *
 * Image: `gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.25.3`. Container name
 * `cloud-sql-proxy`. In LEGACY mode it is first in the container list and a postStart
 * `cloud-sql-proxy wait` holds the app until the proxy has started; a LEGACY proxy on a
 * Job or CronJob is refused (use NATIVE there).
 */
export class CloudSqlProxySidecar extends Sidecar {
  /** The proxy's alerts (CloudSqlProxyRefreshFailing, CloudSqlProxyDialFailures), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = CLOUD_SQL_PROXY_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = CLOUD_SQL_PROXY_DASHBOARD_PACK;

  /** The instances, each with its local port and the app's variables. */
  public readonly instances: CloudSqlInstance[];

  public constructor(scope: Construct, id: string, props: CloudSqlProxySidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, cloudSqlProxySpec));
    this.instances = resolveInstances(props, specContext(scope, props, DEFAULT_NAME));
  }
}
