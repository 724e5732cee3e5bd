import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { VaultAuthMethodInternals } from './auth-internals';

/**
 * How Vault Agent logs in to Vault (its `auto_auth` method). Each factory renders the
 * method's `config` with the keys the agent's own method reads at Vault 1.19
 * (command/agentproxyshared/auth/<method>/<method>.go).
 */

/**
 * Options of the Kubernetes auth method.
 */
export interface VaultKubernetesAuthOptions {
  /** The Vault role of the Kubernetes auth method. */
  readonly role: string;

  /**
   * The mount path of the auth method in Vault.
   *
   * @default 'auth/kubernetes'
   */
  readonly mountPath?: string;

  /**
   * The audience of the projected service-account token. Set it, and the same
   * `audience` on the Vault role, so the token is good for Vault only.
   *
   * @default - the API server's own audience
   */
  readonly tokenAudience?: string;

  /**
   * The lifetime of the projected service-account token (at least 10 minutes; the
   * kubelet renews it).
   *
   * @default Duration.hours(1)
   */
  readonly tokenExpiration?: Duration;
}

/**
 * Options of the JWT/OIDC auth method with the pod's projected service-account token
 * (Vault trusts the cluster's OIDC issuer).
 */
export interface VaultJwtAuthOptions {
  /** The Vault role of the JWT auth method. */
  readonly role: string;

  /** The audience of the projected token: the role's `bound_audiences`. */
  readonly tokenAudience: string;

  /**
   * The mount path of the auth method in Vault.
   *
   * @default 'auth/jwt'
   */
  readonly mountPath?: string;

  /**
   * The lifetime of the projected token (at least 10 minutes; the kubelet renews it).
   *
   * @default Duration.hours(1)
   */
  readonly tokenExpiration?: Duration;
}

/**
 * Options of the AppRole auth method: the role ID and the secret ID come from keys of
 * Secrets, mounted into the agent only.
 */
export interface VaultAppRoleAuthOptions {
  /** The Secret holding the role ID. */
  readonly roleIdSecret: kplus.ISecret;

  /**
   * The key of the role ID in `roleIdSecret`.
   *
   * @default 'role-id'
   */
  readonly roleIdKey?: string;

  /** The Secret holding the secret ID. */
  readonly secretIdSecret: kplus.ISecret;

  /**
   * The key of the secret ID in `secretIdSecret`.
   *
   * @default 'secret-id'
   */
  readonly secretIdKey?: string;

  /**
   * The mount path of the auth method in Vault.
   *
   * @default 'auth/approle'
   */
  readonly mountPath?: string;
}

/**
 * Options of the AWS auth method, IAM type: the agent signs an STS request with the
 * pod's AWS credentials (IRSA or EKS Pod Identity, found by the AWS SDK's chain).
 */
export interface VaultAwsAuthOptions {
  /** The Vault role of the AWS auth method. */
  readonly role: string;

  /**
   * The mount path of the auth method in Vault.
   *
   * @default 'auth/aws'
   */
  readonly mountPath?: string;

  /**
   * The AWS region of the STS endpoint, e.g. 'eu-west-1'.
   *
   * @default - the agent's default (us-east-1, the global endpoint)
   */
  readonly region?: string;

  /**
   * The `X-Vault-AWS-IAM-Server-ID` header value, when the auth method requires one.
   *
   * @default - none
   */
  readonly headerValue?: string;
}

/**
 * The GCP auth method's login type.
 */
export enum VaultGcpAuthType {
  /** An identity token of the instance's (or the GKE Workload Identity) service account, from the metadata server. */
  GCE = 'gce',
  /** A JWT signed by the IAM Credentials API for `serviceAccount`. */
  IAM = 'iam',
}

/**
 * Options of the GCP auth method.
 */
export interface VaultGcpAuthOptions {
  /** The Vault role of the GCP auth method. */
  readonly role: string;

  /**
   * The login type.
   *
   * @default VaultGcpAuthType.GCE
   */
  readonly type?: VaultGcpAuthType;

  /**
   * The service account email to log in as (required for IAM).
   *
   * @default - for GCE, the metadata server's default service account
   */
  readonly serviceAccount?: string;

  /**
   * The mount path of the auth method in Vault.
   *
   * @default 'auth/gcp'
   */
  readonly mountPath?: string;
}

/**
 * How Vault Agent logs in to Vault.
 */
export class VaultAuthMethod {
  /** The Kubernetes auth method with a projected service-account token (the default). */
  public static kubernetes(options: VaultKubernetesAuthOptions): VaultAuthMethod {
    return new VaultAuthMethod('kubernetes', options.mountPath ?? 'auth/kubernetes', options.role, {
      tokenAudience: options.tokenAudience, tokenExpiration: options.tokenExpiration,
    });
  }

  /** The JWT/OIDC auth method with a projected service-account token of the given audience. */
  public static jwt(options: VaultJwtAuthOptions): VaultAuthMethod {
    return new VaultAuthMethod('jwt', options.mountPath ?? 'auth/jwt', options.role, {
      tokenAudience: options.tokenAudience, tokenExpiration: options.tokenExpiration, audienceRequired: true,
    });
  }

  /** The AppRole auth method, role and secret IDs from Secrets. */
  public static appRole(options: VaultAppRoleAuthOptions): VaultAuthMethod {
    return new VaultAuthMethod('approle', options.mountPath ?? 'auth/approle', undefined, {
      appRole: {
        roleIdSecret: options.roleIdSecret,
        roleIdKey: options.roleIdKey ?? 'role-id',
        secretIdSecret: options.secretIdSecret,
        secretIdKey: options.secretIdKey ?? 'secret-id',
      },
    });
  }

  /** The AWS auth method, IAM type. */
  public static aws(options: VaultAwsAuthOptions): VaultAuthMethod {
    return new VaultAuthMethod('aws', options.mountPath ?? 'auth/aws', options.role, {
      region: options.region, headerValue: options.headerValue,
    });
  }

  /** The GCP auth method. */
  public static gcp(options: VaultGcpAuthOptions): VaultAuthMethod {
    return new VaultAuthMethod('gcp', options.mountPath ?? 'auth/gcp', options.role, {
      gcpType: options.type ?? VaultGcpAuthType.GCE as string, serviceAccount: options.serviceAccount,
    });
  }

  /** The agent's method type: `kubernetes`, `jwt`, `approle`, `aws` or `gcp`. */
  public readonly type: string;

  /** The mount path of the auth method in Vault. */
  public readonly mountPath: string;

  /** @internal */
  public readonly _role?: string;

  /** @internal */
  public readonly _options: VaultAuthMethodInternals;

  private constructor(type: string, mountPath: string, role: string | undefined, options: VaultAuthMethodInternals) {
    this.type = type;
    this.mountPath = mountPath;
    this._role = role;
    this._options = options;
  }
}
