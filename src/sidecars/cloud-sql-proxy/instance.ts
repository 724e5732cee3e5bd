/**
 * Which IP address of a Cloud SQL instance the proxy connects to.
 */
export enum CloudSqlIpType {
  /** The instance's private IP, inside the VPC (`--private-ip`): the default on GKE. */
  PRIVATE = 'PRIVATE',
  /** The instance's public IP (the proxy's own default; the connection is still mTLS). */
  PUBLIC = 'PUBLIC',
  /** A Private Service Connect endpoint (`--psc`). */
  PSC = 'PSC',
}

/**
 * One Cloud SQL instance the app reaches through the proxy, on its own local port.
 */
export interface CloudSqlInstance {
  /**
   * The instance connection name, `project:region:instance` (a domain-scoped project
   * is `example.com:project`), as `gcloud sql instances describe` prints it.
   */
  readonly connectionName: string;

  /**
   * The local port the app connects to, on 127.0.0.1 (5432 for PostgreSQL, 3306 for
   * MySQL, 1433 for SQL Server, or any free one): one per instance, checked against
   * every other container's ports.
   */
  readonly port: number;

  /**
   * Which IP address of this instance to connect to.
   *
   * @default - the sidecar's `ipType`
   */
  readonly ipType?: CloudSqlIpType;

  /**
   * Log in to this instance with automatic IAM database authentication.
   *
   * @default - the sidecar's `autoIamAuthn`
   */
  readonly autoIamAuthn?: boolean;

  /**
   * The app's environment variable with the host (`127.0.0.1`).
   *
   * @default 'DB_HOST' for the first instance, 'DB_HOST_<n>' for the n-th after it
   * (the proxy's own `CSQL_PROXY_INSTANCE_CONNECTION_NAME_<n>` numbering)
   */
  readonly hostEnvName?: string;

  /**
   * The app's environment variable with the port.
   *
   * @default 'DB_PORT' for the first instance, 'DB_PORT_<n>' for the n-th after it
   */
  readonly portEnvName?: string;
}
