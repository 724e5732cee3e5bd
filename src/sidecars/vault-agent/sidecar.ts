import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { VAULT_AGENT_ALERT_PACK } from './alerts';
import { VaultAuthMethod } from './auth';
import { VAULT_AGENT_DASHBOARD_PACK } from './dashboard';
import { renderedFiles } from './options';
import { DEFAULT_NAME, secretsVolumeName, vaultAgentSpec } from './spec';
import { AlertPack } from '../../alerts/pack';
import { failFor, workloadSubject } from '../../core/errors';
import { PodSidecars } from '../../core/pod-sidecars';
import { Sidecar, SidecarOptions } from '../../core/sidecar';
import { namedSidecarProps } from '../../core/spec';
import { DashboardPack } from '../../dashboards/pack';

/**
 * A secret Vault Agent renders to a file.
 */
export interface VaultSecret {
  /**
   * The file name: the secret is rendered to `<secretsDir>/<name>`
   * (`/vault/secrets/<name>` by default). Letters, digits, `.`, `_` and `-`,
   * starting and ending with a letter or digit, at most 41 characters.
   */
  readonly name: string;

  /**
   * The Vault path of the secret, e.g. `database/creds/myapp-db` or
   * `secret/data/myapp/api-key` (no leading `/`).
   */
  readonly path: string;

  /**
   * A Consul Template template that renders the file. It is stored as a file of
   * its own (a ConfigMap key, or the injector's template annotation) and never
   * inlined into the agent configuration, so any text is safe here.
   *
   * @default - the secret's data as JSON:
   * `{{ with secret "<path>" }}{{ .Data | toJSON }}{{ end }}` (for KV version 2
   * the values are under `data`)
   */
  readonly template?: string;
}

/**
 * A certificate Vault's PKI secrets engine issues to the pod, renewed by the agent before
 * it expires. Three files: `<name>.crt` (the certificate), `<name>.key` (its private key)
 * and `<name>-ca.crt` (the issuing CA), in `secretsDir`.
 */
export interface VaultCertificate {
  /** The file name prefix (letters, digits, `.`, `_`, `-`, at most 37 characters). */
  readonly name: string;

  /** The PKI role's issue path, e.g. `pki/issue/myapp` (`<mount>/issue/<role>`). */
  readonly issuePath: string;

  /** The certificate's common name, a DNS name such as `myapp.production.svc` (`*.` allowed). */
  readonly commonName: string;

  /**
   * More DNS names.
   *
   * @default - none
   */
  readonly altNames?: string[];

  /**
   * IP addresses.
   *
   * @default - none
   */
  readonly ipSans?: string[];

  /**
   * The certificate's lifetime (the role's `max_ttl` caps it). The agent fetches a new
   * certificate when most of it has passed (its `lease_renewal_threshold`, 90% by default).
   *
   * @default Duration.hours(24)
   */
  readonly ttl?: Duration;
}

/**
 * Where the CA certificate that signed the Vault server's certificate comes from.
 */
export class VaultCaCertificate {
  /**
   * A key of a ConfigMap (`VaultAgentSidecar` only; the injector mounts Secrets only).
   *
   * @param key the key holding the PEM certificate, 'ca.crt' by default
   */
  public static fromConfigMap(configMap: kplus.IConfigMap, key?: string): VaultCaCertificate {
    return new VaultCaCertificate(configMap, undefined, key ?? 'ca.crt');
  }

  /**
   * A key of a Secret.
   *
   * @param key the key holding the PEM certificate, 'ca.crt' by default
   */
  public static fromSecret(secret: kplus.ISecret, key?: string): VaultCaCertificate {
    return new VaultCaCertificate(undefined, secret, key ?? 'ca.crt');
  }

  /** The key holding the certificate. */
  public readonly key: string;

  /** @internal */
  public readonly _configMap?: kplus.IConfigMap;

  /** @internal */
  public readonly _secret?: kplus.ISecret;

  private constructor(configMap: kplus.IConfigMap | undefined, secret: kplus.ISecret | undefined, key: string) {
    this._configMap = configMap;
    this._secret = secret;
    this.key = key;
  }
}

/**
 * A client certificate and its private key for TLS to Vault, from a Secret (e.g. a
 * `kubernetes.io/tls` Secret or a cert-manager Certificate's), mounted into the agent only.
 */
export class VaultClientCertificate {
  /**
   * Two keys of a Secret.
   *
   * @param certificateKey the key holding the PEM certificate, 'tls.crt' by default
   * @param privateKeyKey the key holding the PEM private key, 'tls.key' by default
   */
  public static fromSecret(secret: kplus.ISecret, certificateKey?: string, privateKeyKey?: string): VaultClientCertificate {
    return new VaultClientCertificate(secret, certificateKey ?? 'tls.crt', privateKeyKey ?? 'tls.key');
  }

  /** The Secret. */
  public readonly secret: kplus.ISecret;

  /** The key holding the certificate. */
  public readonly certificateKey: string;

  /** The key holding the private key. */
  public readonly privateKeyKey: string;

  private constructor(secret: kplus.ISecret, certificateKey: string, privateKeyKey: string) {
    this.secret = secret;
    this.certificateKey = certificateKey;
    this.privateKeyKey = privateKeyKey;
  }
}

/**
 * What the agent needs to log in to Vault and which secrets it renders; shared by
 * `VaultAgentSidecar` and `VaultAgentInjector`.
 */
export interface VaultAgentOptions {
  /**
   * The Vault role of the Kubernetes auth method the pod logs in with (shorthand for
   * `authMethod: VaultAuthMethod.kubernetes({ role })`).
   *
   * @default - required unless `authMethod` is set
   */
  readonly role?: string;

  /**
   * How the agent logs in: `VaultAuthMethod.kubernetes(...)`, `.jwt(...)`,
   * `.appRole(...)`, `.aws(...)` or `.gcp(...)`. With it, leave `role`, `authPath`,
   * `tokenAudience` and `tokenExpiration` unset (the method has them). The injector
   * supports the Kubernetes method only.
   *
   * @default - the Kubernetes auth method with `role`, `authPath`, `tokenAudience`, `tokenExpiration`
   */
  readonly authMethod?: VaultAuthMethod;

  /**
   * The Vault (Enterprise or HCP) namespace of every request, e.g. 'admin/team-a'.
   *
   * @default - none (the root namespace)
   */
  readonly namespace?: string;

  /**
   * The name to verify in the Vault server's certificate (and send as SNI), when it
   * is not the host of `address`.
   *
   * @default - the host of `address`
   */
  readonly tlsServerName?: string;

  /**
   * A client certificate for TLS to Vault (Vault's `tls_require_and_verify_client_cert`,
   * or the cert auth method). `VaultAgentSidecar` only.
   *
   * @default - none
   */
  readonly clientCertificate?: VaultClientCertificate;

  /**
   * INSECURE: do not verify the Vault server's certificate. Anyone on the network path
   * can then read the secrets and the token. For a test cluster only; the pod template
   * carries the annotation `vault.cdk8s-sidecars.io/insecure-skip-tls-verify: "true"`
   * so that reviews and policies see it.
   *
   * @default false
   */
  readonly insecureSkipTlsVerify?: boolean;

  /**
   * The secrets to render (at least one; names unique).
   */
  readonly secrets: VaultSecret[];

  /**
   * The Vault server, `http(s)://host[:port]`. The default is where vault-helm's default
   * install serves (`global.tlsDisable: true`, release `vault` in namespace `vault`); a
   * server with TLS needs `https://...` here (and `caCertificate`). The injector leaves
   * it to the injector's own setting unless it is set.
   *
   * @default 'http://vault.vault.svc:8200'
   */
  readonly address?: string;

  /**
   * The CA certificate of the Vault server.
   *
   * @default - the image's system CA bundle
   */
  readonly caCertificate?: VaultCaCertificate;

  /**
   * The mount path of the Kubernetes auth method in Vault. The injector leaves it to
   * the injector's own setting unless it is set.
   *
   * @default 'auth/kubernetes'
   */
  readonly authPath?: string;

  /**
   * The audience of the projected service-account token the agent logs in with.
   * Set it, and the same `audience` on the Vault role, so the token is good for
   * Vault only.
   *
   * @default - the API server's own audience (works with a role without `audience`)
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
 * Properties of a `VaultAgentSidecar`.
 */
export interface VaultAgentSidecarProps extends SidecarOptions, VaultAgentOptions {
  /**
   * The pod to add the agent to: a Deployment, StatefulSet, DaemonSet, Job,
   * CronJob or Pod.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The Vault image (the agent runs from it; it needs `/bin/sh`, `test`, a `sleep` that
   * takes fractions and `kill` for its hooks, and runs `vault` as PID 1).
   *
   * @default SidecarImages.VAULT
   */
  readonly image?: string;

  /**
   * Where the rendered secrets are, in the agent and in the app containers.
   *
   * @default '/vault/secrets'
   */
  readonly secretsDir?: string;

  /**
   * Size limit of the memory-backed emptyDir that holds the rendered secrets (it
   * counts against the pod's memory).
   *
   * @default Size.mebibytes(4)
   */
  readonly secretsSizeLimit?: Size;

  /**
   * The port of the agent's metrics-only listener (`/agent/v1/metrics`).
   *
   * @default 8201
   */
  readonly metricsPort?: number;

  /**
   * Certificates to issue from Vault's PKI secrets engine, renewed before they expire.
   *
   * @default - none
   */
  readonly certificates?: VaultCertificate[];

  /**
   * The app's endpoint to tell that a secret or certificate changed: after each render
   * of a template, the agent POSTs the file's name to this URL (with the image's BusyBox
   * `wget`, 10 s at most). An `http://` URL on the pod's loopback (`127.0.0.1`,
   * `localhost` or `[::1]`). The first render happens before the app starts, so that
   * call finds nobody: the app reads its files at start, and reloads them on the POST.
   * A failed call is logged by the agent and never stops it.
   *
   * @default - none: the app rereads the files on its own
   */
  readonly webhookUrl?: string;

  /**
   * The port of the agent's local listener on 127.0.0.1, the API proxy (`apiProxy`).
   * Declared as a container port only when the listener exists.
   *
   * @default 8100
   */
  readonly agentPort?: number;

  /**
   * Proxy the app's own Vault API calls: the agent's `api_proxy` on
   * `http://127.0.0.1:<agentPort>` adds the agent's token (`use_auto_auth_token`) to
   * every request, and the app containers get `VAULT_ADDR` pointing at it. The app
   * never holds a Vault token: any process of the pod that can reach 127.0.0.1 can act
   * with the agent's policies, exactly as it could read the rendered secrets.
   *
   * @default false
   */
  readonly apiProxy?: boolean;
}

/**
 * Vault Agent as a sidecar: logs in to Vault (the Kubernetes auth method with the
 * pod's service account by default; JWT/OIDC, AppRole, AWS IAM or GCP with
 * `authMethod`) and renders secrets, and PKI certificates, to files on a memory-backed
 * volume that the app containers mount read-only at `/vault/secrets`; optionally it
 * tells the app when a file changed (`webhookUrl`) and proxies the app's own Vault calls
 * with its token (`apiProxy`, `VAULT_ADDR`).
 *
 * - NATIVE (default): one native sidecar renders every secret before the app
 *   starts (its blocking postStart hook returns once every file exists and is
 *   non-empty) and keeps them fresh for the pod's life; at deletion it stops in
 *   parallel with the app (its preStop sends it SIGTERM), unless `apiProxy`.
 * - LEGACY: the companion init container `<name>-init` renders once
 *   (`exit_after_auth`), then an ordinary container keeps the secrets fresh, restoring
 *   the first one's leases from a persistent cache instead of fetching them again. On a
 *   Job, CronJob or other pod that runs to completion, only the render-once init
 *   container (the Job-safe legacy form).
 *
 * The agent logs in with a projected service-account token (cdk8s-plus turns the
 * pod's own token off), mounted into the agent only: the app never sees it, nor
 * the Vault token (a file sink on a memory emptyDir of the agent). The agent
 * configuration is generated HCL in a ConfigMap (mounted at `/vault/config`), with
 * each template in a file of its own. Metrics: a metrics-only listener
 * (`/agent/v1/metrics?format=prometheus`), e.g. `vault_agent_auth_failure` and
 * `vault_agent_authenticated`.
 *
 * The Vault image runs the agent as the image's `vault` user, uid 100 gid 1000
 * (the same ids the vault-k8s injector uses); a `user` of your own keeps gid 1000.
 * One Vault Agent per pod: a second one (sidecar or `VaultAgentInjector`) is a
 * synth error.
 */
export class VaultAgentSidecar extends Sidecar {
  /** Vault Agent's alerts (VaultAgentAuthFailure), for a `Sidecar` of your own running it. */
  public static readonly ALERT_PACK: AlertPack = VAULT_AGENT_ALERT_PACK;

  /** The tool's dashboard (SidecarDashboards), for a `Sidecar` of your own running it. */
  public static readonly DASHBOARD_PACK: DashboardPack = VAULT_AGENT_DASHBOARD_PACK;

  /** The memory-backed volume the secrets are rendered to. */
  public readonly secretsVolume: kplus.Volume;

  /** Where the rendered secrets are, in the agent and in the app containers. */
  public readonly secretsDir: string;

  private readonly names: string[];

  public constructor(scope: Construct, id: string, props: VaultAgentSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, DEFAULT_NAME, vaultAgentSpec));
    this.names = renderedFiles(props.secrets, props.certificates ?? []);
    const secrets = this._volumes.find(v => v.declaration.name === secretsVolumeName(this.name))!;
    this.secretsVolume = secrets.volume;
    // As the spec checked it (a trailing '/' dropped).
    this.secretsDir = secrets.declaration.path;
    PodSidecars.of(this.workload)._claim('vault-agent', `sidecar '${this.name}'`, 'a Vault Agent');
  }

  /** The names of the rendered files: the secrets, then each certificate's `.crt`, `.key` and `-ca.crt`. */
  public get secretNames(): string[] {
    return [...this.names];
  }

  /**
   * The path of a rendered secret in the app containers, e.g.
   * `/vault/secrets/db-creds`.
   */
  public secretFile(name: string): string {
    if (!this.names.includes(name)) {
      failFor(workloadSubject(this.workload, this.name))('VAULT_SECRET_UNKNOWN',
        `it renders no secret named '${name}' (it renders ${this.names.map(n => `'${n}'`).join(', ')})`,
        'name one of the secrets passed in \'secrets\'');
    }
    return `${this.secretsDir}/${name}`;
  }
}
