import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkOptions } from './options';
import type { VaultAgentOptions } from './sidecar';
import { DEFAULT_NAME, INSECURE_ANNOTATION, TLS_DIR, TOKEN_FILE, VAULT_GID, VAULT_UID } from './spec';
import { runsToCompletion } from '../../core/_pod';
import { serviceAccountTokenVolume } from '../../core/_projected';
import { Checks } from '../../core/checks';
import { failFor, workloadSubject } from '../../core/errors';
import { SidecarImages } from '../../core/images';
import { PodSidecars } from '../../core/pod-sidecars';
import { SidecarProfile } from '../../core/profile';

const ANNOTATION = 'vault.hashicorp.com';
/** Not `vault-agent-sa-token`, the sidecar's: both on one pod is reported as two agents, not as a volume clash. */
const TOKEN_VOLUME = 'vault-agent-injector-sa-token';

/**
 * Properties of a `VaultAgentInjector`.
 */
export interface VaultAgentInjectorProps extends VaultAgentOptions {
  /**
   * The pod whose template gets the injector annotations.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * Resource overrides for the injected agent containers, field by field.
   *
   * @default - the SECRET_INJECTION profile: 50m/64Mi, limits 200m/256Mi
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * The image the injector runs the agent from.
   *
   * @default SidecarImages.VAULT
   */
  readonly image?: string;

  /**
   * The uid the injected agent runs as.
   *
   * @default 100 (the Vault image's `vault` user)
   */
  readonly user?: number;

  /**
   * The gid the injected agent runs as.
   *
   * @default 1000 (the Vault image's `vault` group)
   */
  readonly group?: number;
}

/**
 * For clusters that run the Vault Agent Injector (vault-k8s): instead of adding
 * containers, annotates the pod template so the injector adds the agent at
 * admission, with the same role, secrets and templates as `VaultAgentSidecar`.
 *
 * It sets `agent-inject`, `role` (and `auth-path`, `service`, `namespace` only when
 * they are set: otherwise the injector's own settings apply), one
 * `agent-inject-secret-<name>`, `agent-inject-template-<name>` and
 * `error-on-missing-key-<name>` per secret, `preserve-secret-case` and
 * `template-config-exit-on-retry-failure` (so the files are those the sidecar renders),
 * `agent-pre-populate-only` ("true" on Jobs, CronJobs and other pods that run to
 * completion, so only the init container is injected), `agent-init-first`, the
 * image, uid/gid and resources (the SECRET_INJECTION profile), and the CA Secret.
 * A projected service-account token volume `vault-agent-injector-sa-token` is
 * added to the pod (mounted into no app container) and named in
 * `agent-service-account-token-volume-name`, because cdk8s-plus turns the pod's
 * own token off. One Vault Agent per pod: a second injector or a
 * `VaultAgentSidecar` on the same workload is a synth error.
 */
export class VaultAgentInjector extends Construct {
  /** The workload. */
  public readonly workload: kplus.AbstractPod;

  /** The annotations added to the pod template. */
  public readonly annotations: { [key: string]: string };

  public constructor(scope: Construct, id: string, props: VaultAgentInjectorProps) {
    super(scope, id);
    const workload = props.workload;
    this.workload = workload;
    // The container the injector adds is named 'vault-agent'.
    const fail = failFor(workloadSubject(workload, DEFAULT_NAME));
    // The checks the core makes of every sidecar container, with the same codes.
    const checks = new Checks(fail);
    const options = checkOptions(props, checks, true);
    if (options.ca?._configMap !== undefined) {
      fail('VAULT_CA_INVALID', 'the injector mounts a CA certificate from a Secret only', 'pass VaultCaCertificate.fromSecret(...)');
    }
    if (options.auth.type !== 'kubernetes') {
      fail('VAULT_AUTH_INVALID', `the injector logs in with the Kubernetes auth method only, not ${options.auth.type}`,
        'use VaultAgentSidecar for another auth method, or VaultAuthMethod.kubernetes({...})');
    }
    if (options.clientCertificate !== undefined) {
      fail('VAULT_TLS_INVALID', 'the injector mounts one TLS Secret (the CA certificate\'s): no client certificate from another Secret',
        'use VaultAgentSidecar for a client certificate');
    }
    for (const s of options.secrets) {
      // vault-k8s (agent-inject/agent/annotations.go, secrets(), at v1.7.6) cuts the prefixes
      // agent-inject-secret-, agent-inject-template-file- and agent-inject-template- off the
      // annotation names: agent-inject-template-file-<x> is read as the template file of a
      // secret named <x>, and the secret 'file-<x>' loses its template.
      if (s.name.startsWith('file-')) {
        fail('VAULT_SECRET_INVALID', `secret name '${s.name}' starts with 'file-', which the injector reads as the 'agent-inject-template-file-' annotation of a secret '${s.name.slice(5)}'`,
          'rename the secret so it does not start with \'file-\' (vault-k8s 1.3 and later)');
      }
    }
    const image = checks.image(props.image ?? SidecarImages.VAULT);
    const user = props.user ?? VAULT_UID;
    const group = props.group ?? VAULT_GID;
    checks.identity(user, group);
    const resources = checks.resources(SidecarProfile.SECRET_INJECTION.resources(props.resources));

    PodSidecars.of(workload)._claim('vault-agent', `VaultAgentInjector '${this.node.path}'`, 'a Vault Agent');
    const existing = workload.volumes.find(v => v.name === TOKEN_VOLUME);
    if (existing === undefined) {
      workload.addVolume(serviceAccountTokenVolume(this, 'ServiceAccountToken', {
        name: TOKEN_VOLUME,
        path: TOKEN_FILE,
        audience: options.auth.token?.audience,
        expirationSeconds: options.expiration.toSeconds(),
      }));
    } else if (!(existing.node.scope instanceof VaultAgentInjector)) {
      // Another injector's token volume is left alone: the claim reports the second injector.
      fail('VOLUME_NAME_TAKEN', `the pod already has a volume named '${TOKEN_VOLUME}' (in the pod's volumes)`,
        'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)');
    }

    const a = (key: string) => `${ANNOTATION}/${key}`;
    const annotations: { [key: string]: string } = {
      [a('agent-inject')]: 'true',
      [a('agent-inject-status')]: 'update',
      [a('role')]: options.auth.role!,
      [a('agent-image')]: image,
      [a('agent-run-as-user')]: String(user),
      [a('agent-run-as-group')]: String(group),
      [a('agent-init-first')]: 'true',
      [a('agent-pre-populate-only')]: runsToCompletion(workload) ? 'true' : 'false',
      [a('agent-service-account-token-volume-name')]: TOKEN_VOLUME,
      // Rendered like the sidecar: file names as given (the injector lowercases them
      // otherwise), and templates that fail on a missing key and stop the agent after
      // their retries (annotations.go at vault-k8s v1.7.6: preserve-secret-case,
      // error-on-missing-key-<name>, template-config-exit-on-retry-failure).
      [a('preserve-secret-case')]: 'true',
      [a('template-config-exit-on-retry-failure')]: 'true',
    };
    // The injector's own -vault-address and -vault-auth-path (what its Helm chart sets) win
    // unless the user says otherwise.
    if (options.addressSet) annotations[a('service')] = options.address;
    if (options.authPathSet) annotations[a('auth-path')] = options.auth.mountPath;
    if (options.namespace !== undefined) annotations[a('namespace')] = options.namespace;
    if (options.tlsServerName !== undefined) annotations[a('tls-server-name')] = options.tlsServerName;
    if (options.insecureSkipTlsVerify) {
      annotations[a('tls-skip-verify')] = 'true';
      annotations[INSECURE_ANNOTATION] = 'true';
    }
    if (resources.cpu?.request) annotations[a('agent-requests-cpu')] = resources.cpu.request.amount;
    if (resources.cpu?.limit) annotations[a('agent-limits-cpu')] = resources.cpu.limit.amount;
    if (resources.memory?.request) annotations[a('agent-requests-mem')] = `${resources.memory.request.toMebibytes()}Mi`;
    if (resources.memory?.limit) annotations[a('agent-limits-mem')] = `${resources.memory.limit.toMebibytes()}Mi`;
    if (options.ca?._secret !== undefined) {
      annotations[a('tls-secret')] = options.ca._secret.name;
      annotations[a('ca-cert')] = `${TLS_DIR}/${options.ca.key}`;
    }
    for (const s of options.secrets) {
      annotations[a(`agent-inject-secret-${s.name}`)] = s.path;
      annotations[a(`agent-inject-template-${s.name}`)] = s.template;
      annotations[a(`error-on-missing-key-${s.name}`)] = 'true';
    }
    for (const [key, value] of Object.entries(annotations)) {
      workload.podMetadata.addAnnotation(key, value);
    }
    this.annotations = annotations;
  }
}
