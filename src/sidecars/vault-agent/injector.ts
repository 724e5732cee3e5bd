import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkOptions } from './options';
import type { VaultAgentOptions } from './sidecar';
import { DEFAULT_NAME, TLS_DIR, TOKEN_FILE, VAULT_GID, VAULT_UID } from './spec';
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
 * It sets `agent-inject`, `role`, `auth-path`, `service`, one
 * `agent-inject-secret-<name>` and `agent-inject-template-<name>` per secret,
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
    const options = checkOptions(props, new Checks(fail));
    if (options.ca?._configMap !== undefined) {
      fail('VAULT_CA_INVALID', 'the injector mounts a CA certificate from a Secret only', 'pass VaultCaCertificate.fromSecret(...)');
    }
    // The checks the core makes of every sidecar container, with the same codes.
    const checks = new Checks(fail);
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
        audience: options.audience,
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
      [a('role')]: options.role,
      [a('auth-path')]: options.authPath,
      [a('service')]: options.address,
      [a('agent-image')]: image,
      [a('agent-run-as-user')]: String(user),
      [a('agent-run-as-group')]: String(group),
      [a('agent-init-first')]: 'true',
      [a('agent-pre-populate-only')]: runsToCompletion(workload) ? 'true' : 'false',
      [a('agent-service-account-token-volume-name')]: TOKEN_VOLUME,
    };
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
    }
    for (const [key, value] of Object.entries(annotations)) {
      workload.podMetadata.addAnnotation(key, value);
    }
    this.annotations = annotations;
  }
}
