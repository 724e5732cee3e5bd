import * as kplus from 'cdk8s-plus-28';

/**
 * How the Cloud SQL Auth Proxy gets its Google credentials.
 */
export class CloudSqlCredentials {
  /**
   * GKE Workload Identity (the default): the proxy finds Application Default Credentials
   * through the GKE metadata server, as the Google service account bound to the pod's
   * Kubernetes service account (`iam.gke.io/gcp-service-account` annotation and a
   * `roles/iam.workloadIdentityUser` binding). Nothing is mounted, no key exists.
   */
  public static workloadIdentity(): CloudSqlCredentials {
    return new CloudSqlCredentials(undefined, undefined);
  }

  /**
   * A service-account key file from a Secret: an explicit choice for clusters without
   * Workload Identity. The key is mounted read-only into the proxy only (never into the
   * app) and passed as `--credentials-file`; it never appears in args, env or ConfigMaps.
   *
   * @param secret the Secret holding the JSON key
   * @param key the Secret key holding it, 'credentials.json' by default
   */
  public static fromSecret(secret: kplus.ISecret, key?: string): CloudSqlCredentials {
    return new CloudSqlCredentials(secret, key ?? 'credentials.json');
  }

  /** The Secret key holding the JSON key file, for a key file. */
  public readonly key?: string;

  /** @internal */
  public readonly _secret?: kplus.ISecret;

  private constructor(secret: kplus.ISecret | undefined, key: string | undefined) {
    this._secret = secret;
    this.key = key;
  }

  /** True for Workload Identity (no key file). */
  public get isWorkloadIdentity(): boolean {
    return this._secret === undefined;
  }
}
