import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { attr, block, HclEntry, HclValueError, renderHcl } from './_hcl';
import { TextCache } from './_memo';
import { runsToCompletion } from './_pod';
import { serviceAccountTokenVolume } from './_projected';
import { resourceProblems } from './_resources';
import { dnsLabelFrom, isPinnedImage, sidecarError } from './_util';
import { SidecarImages } from './images';
import { PodSidecars } from './pod-sidecars';
import { SidecarProfile } from './profile';
import { Sidecar, SidecarKind, SidecarMode, SidecarOptions, SidecarPlacement, SidecarProps } from './sidecar';

const CONFIG_DIR = '/vault/config';
const MAIN_CONFIG = 'agent.hcl';
const INIT_CONFIG = 'agent-init.hcl';
const TOKEN_DIR = '/var/run/secrets/vault.hashicorp.com/serviceaccount';
const TOKEN_FILE = 'token';
const HOME = '/home/vault';
const TLS_DIR = '/vault/tls';
const METRICS_PORT_NAME = 'vault-metrics';
// The agent picks the format from `format` or the Accept header; ask explicitly.
const METRICS_PATH = '/agent/v1/metrics?format=prometheus';
const VAULT_UID = 100;
const VAULT_GID = 1000;
const INJECTOR = Symbol.for('cdk8s-sidecars.VaultAgentInjector');
const ANNOTATION = 'vault.hashicorp.com';

// A rendered file name that is also a valid annotation-key suffix:
// `vault.hashicorp.com/agent-inject-template-<name>` has at most 63 characters after the '/'.
const SECRET_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const SECRET_NAME_MAX = 41;
// Vault's own rule for role names (framework.GenericNameRegex).
const ROLE = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const VAULT_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const ABSOLUTE_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
const AUDIENCE = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

/**
 * A secret Vault Agent renders to a file.
 */
export interface VaultSecret {
  /**
   * The file name: the secret is rendered to `<secretsPath>/<name>`
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
 * What the agent needs to log in to Vault and which secrets it renders; shared by
 * `VaultAgentSidecar` and `VaultAgentInjector`.
 */
export interface VaultAgentOptions {
  /**
   * The Vault role of the Kubernetes auth method the pod logs in with.
   */
  readonly role: string;

  /**
   * The secrets to render (at least one; names unique).
   */
  readonly secrets: VaultSecret[];

  /**
   * The Vault server.
   *
   * @default 'https://vault.vault.svc:8200'
   */
  readonly address?: string;

  /**
   * The CA certificate of the Vault server.
   *
   * @default - the image's system CA bundle
   */
  readonly caCertificate?: VaultCaCertificate;

  /**
   * The mount path of the Kubernetes auth method in Vault.
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
   * The Vault image (the agent runs from it; it needs `/bin/sh` and `test` for the
   * startup probe).
   *
   * @default SidecarImages.VAULT
   */
  readonly image?: string;

  /**
   * Where the rendered secrets are, in the agent and in the app containers.
   *
   * @default '/vault/secrets'
   */
  readonly secretsPath?: string;

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
}

/**
 * Vault Agent as a sidecar: logs in with the pod's service account (Kubernetes
 * auth method) and renders secrets to files on a memory-backed volume that the app
 * containers mount read-only at `/vault/secrets`.
 *
 * - NATIVE (default): one native sidecar renders every secret before the app
 *   starts (its startup probe passes once every file exists and is non-empty) and
 *   keeps them fresh for the pod's life.
 * - LEGACY: an init container `<name>-init` renders once (`exit_after_auth`), then
 *   an ordinary container keeps the secrets fresh. On a Job, CronJob or other pod
 *   that runs to completion, only the init container (the Job-safe legacy form).
 *
 * The agent logs in with a projected service-account token (cdk8s-plus turns the
 * pod's own token off), mounted into the agent only: the app never sees it, nor
 * the Vault token (a file sink on a memory emptyDir of the agent). The agent
 * configuration is generated HCL in a ConfigMap, with each template in a file of
 * its own. Metrics: a metrics-only listener (`/agent/v1/metrics?format=prometheus`), e.g.
 * `vault_agent_auth_failure` and `vault_agent_authenticated`.
 *
 * The Vault image runs the agent as the image's `vault` user, uid 100 gid 1000
 * (the same ids the vault-k8s injector uses).
 */
export class VaultAgentSidecar extends Sidecar {
  /** The ConfigMap with the agent configuration and the templates. */
  public readonly configMap: kplus.ConfigMap;

  /** The memory-backed volume the secrets are rendered to. */
  public readonly secretsVolume: kplus.Volume;

  /** Where the rendered secrets are. */
  public readonly secretsPath: string;

  /** The init container that renders the secrets once (LEGACY mode on long-running pods). */
  public readonly initSidecar?: Sidecar;

  private readonly names: string[];

  public constructor(scope: Construct, id: string, props: VaultAgentSidecarProps) {
    const name = props.name ?? 'vault-agent';
    const workload = props.workload;
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };
    const options = checkOptions(props, fail);
    const secretsPath = props.secretsPath ?? '/vault/secrets';
    if (!ABSOLUTE_PATH.test(secretsPath) || secretsPath.split('/').some(p => p === '.' || p === '..')) {
      fail(`secrets path ${JSON.stringify(secretsPath)} is not a plain absolute path`, 'pass a path such as \'/vault/secrets\' (letters, digits, \'.\', \'_\' and \'-\' between \'/\')');
    }
    const mode = props.mode ?? Sidecar.defaultModeOf(scope);
    // LEGACY on a pod that runs to completion: the agent runs once, as an init container.
    const oneShot = mode === SidecarMode.LEGACY && runsToCompletion(workload);
    const metricsPort = props.metricsPort ?? 8201;
    const files = options.secrets.map(s => `${secretsPath}/${s.name}`);

    super(scope, id, {
      ...agentContainer(props),
      name,
      mode: props.mode,
      args: ['agent', `-config=${CONFIG_DIR}/${oneShot ? INIT_CONFIG : MAIN_CONFIG}`],
      ports: oneShot ? [] : [{ number: metricsPort, name: METRICS_PORT_NAME }],
      metrics: oneShot ? undefined : { portName: METRICS_PORT_NAME, path: METRICS_PATH },
      startupProbe: kplus.Probe.fromCommand(['sh', '-c', files.map(f => `test -s ${f}`).join(' && ')], {
        periodSeconds: Duration.seconds(2),
        timeoutSeconds: Duration.seconds(2),
        failureThreshold: 150,
      }),
      legacyJobInitContainer: true,
    });

    this.secretsPath = secretsPath;
    this.names = options.secrets.map(s => s.name);

    // Agent configuration and templates.
    const data: { [key: string]: string } = {};
    const templates = options.secrets.map(s => {
      data[`${s.name}.ctmpl`] = s.template;
      return { source: `${CONFIG_DIR}/${s.name}.ctmpl`, destination: `${secretsPath}/${s.name}` };
    });
    const config = (once: boolean) => renderConfig(fail, {
      once,
      address: options.address,
      caCert: options.ca ? `${TLS_DIR}/${options.ca.key}` : undefined,
      authPath: options.authPath,
      role: options.role,
      tokenPath: `${TOKEN_DIR}/${TOKEN_FILE}`,
      templates,
      metricsPort,
    });
    // A one-shot agent (LEGACY on a Job) has only the render-once config.
    if (!oneShot) data[MAIN_CONFIG] = config(false);
    if (this.mode === SidecarMode.LEGACY) data[INIT_CONFIG] = config(true);
    this.configMap = new kplus.ConfigMap(this, 'Resource', { data });
    // The agent reads its config and templates at start: a change rolls the pods.
    this.rollOnConfigChange(data);

    // Volumes: secrets shared read-only with the app; the rest for the agent only.
    const secretsVolume = kplus.Volume.fromEmptyDir(this, 'Secrets', dnsLabelFrom(name, 'secrets'), {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: props.secretsSizeLimit ?? Size.mebibytes(4),
    });
    this.secretsVolume = this.shareVolume({ volume: secretsVolume, path: secretsPath, appReadOnly: true });
    if (this.secretsVolume !== secretsVolume) {
      // Reusing the pod's volume of that name would put the secrets wherever that
      // volume is (on disk, mounted read-write elsewhere).
      fail(`the pod already has a volume named '${secretsVolume.name}', where the secrets would be rendered`, 'give the Vault Agent sidecar another \'name\', or that volume another name');
    }
    const agentVolumes: Array<{ path: string; volume: kplus.Volume; readOnly: boolean }> = [
      { path: CONFIG_DIR, volume: kplus.Volume.fromConfigMap(this, 'Config', this.configMap, { name: dnsLabelFrom(name, 'config') }), readOnly: true },
      { path: HOME, volume: kplus.Volume.fromEmptyDir(this, 'Home', dnsLabelFrom(name, 'home'), { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }), readOnly: false },
      { path: TOKEN_DIR, volume: serviceAccountTokenVolume(this, 'ServiceAccountToken', { name: dnsLabelFrom(name, 'sa-token'), path: TOKEN_FILE, audience: options.audience, expirationSeconds: options.expirationSeconds }), readOnly: true },
    ];
    if (options.ca) {
      agentVolumes.push({ path: TLS_DIR, volume: caVolume(this, dnsLabelFrom(name, 'tls'), options.ca), readOnly: true });
    }
    for (const v of agentVolumes) this.container.mount(v.path, v.volume, { readOnly: v.readOnly });

    this.addAppEnvVariable('VAULT_SECRETS_PATH', kplus.EnvValue.fromValue(secretsPath));

    if (this.mode === SidecarMode.LEGACY && this.placement === SidecarPlacement.CONTAINER) {
      // Render once before the app starts; the container above keeps the files fresh.
      const init = new Sidecar(this, 'Init', {
        ...agentContainer(props),
        name: `${name}-init`,
        mode: SidecarMode.LEGACY,
        runOnce: true,
        args: ['agent', `-config=${CONFIG_DIR}/${INIT_CONFIG}`],
      });
      // Shared like the main container's, so the workload's own init containers (which
      // start before a LEGACY container does) get the secrets this step rendered.
      init.shareVolume({ volume: this.secretsVolume, path: secretsPath, appReadOnly: true });
      init.addAppEnvVariable('VAULT_SECRETS_PATH', kplus.EnvValue.fromValue(secretsPath));
      for (const v of agentVolumes) init.container.mount(v.path, v.volume, { readOnly: v.readOnly });
      this.initSidecar = init;
    }

    // Only the agent writes the secrets: another sidecar sharing a volume of the same
    // name (which reuses this one) or an app's own mount must be read-only.
    this.node.addValidation({ validate: () => this.writersOfSecrets() });
  }

  private writersOfSecrets(): string[] {
    const agents = new Set<Sidecar>([this, ...(this.initSidecar ? [this.initSidecar] : [])]);
    const pod = PodSidecars.of(this.workload);
    const writes = (m: { volume: kplus.Volume; readOnly?: boolean }) => m.volume === this.secretsVolume && !m.readOnly;
    const writers: string[] = [];
    // Paths where other sidecars mount the secrets read-write into the app (reported as theirs).
    const sharedPaths = new Set<string>();
    for (const s of pod.sidecars.filter(x => !agents.has(x))) {
      if (s.container.mounts.some(writes)) writers.push(`sidecar '${s.name}'`);
      const forApp = s._appMounts.filter(writes);
      if (forApp.length > 0) writers.push(`sidecar '${s.name}' (for the app)`);
      forApp.forEach(m => sharedPaths.add(m.path));
    }
    for (const c of [...pod.ownInitContainers, ...pod.appContainers]) {
      if (c.mounts.some(m => writes(m) && !sharedPaths.has(m.path))) writers.push(`container '${c.name}'`);
    }
    return [...new Set(writers)].map(w => sidecarError(this.workload, this.name,
      `${w} mounts the secrets volume '${this.secretsVolume.name}' read-write, so it could change the secrets`,
      'mount it read-only (readOnly, appReadOnly), or share a volume of another name'));
  }

  /** The names of the rendered secrets. */
  public get secretNames(): string[] {
    return [...this.names];
  }

  /**
   * The path of a rendered secret in the app containers, e.g.
   * `/vault/secrets/db-creds`.
   */
  public secretFile(name: string): string {
    if (!this.names.includes(name)) {
      throw new Error(sidecarError(this.workload, this.name, `it renders no secret named '${name}' (it renders ${this.names.map(n => `'${n}'`).join(', ')})`, 'name one of the secrets passed in \'secrets\''));
    }
    return `${this.secretsPath}/${name}`;
  }
}

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
 * A projected service-account token volume is added to the pod (mounted into no
 * app container) and named in `agent-service-account-token-volume-name`, because
 * cdk8s-plus turns the pod's own token off.
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
    const who = 'vault-agent';
    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, who, problem, fix));
    };
    if ((workload as any)[INJECTOR] !== undefined) {
      fail(`the pod already has Vault Agent Injector annotations (from '${(workload as any)[INJECTOR]}')`, 'use one VaultAgentInjector per workload, with all its secrets');
    }
    const options = checkOptions(props, fail);
    if (options.ca?._configMap !== undefined) {
      fail('the injector mounts a CA certificate from a Secret only', 'pass VaultCaCertificate.fromSecret(...)');
    }
    const resources = SidecarProfile.SECRET_INJECTION.resources(props.resources);
    for (const problem of resourceProblems(resources)) {
      fail(problem, 'correct the \'resources\' override (memory in whole MiB, CPU in whole millicores, limits not below requests)');
    }
    const user = props.user ?? VAULT_UID;
    const group = props.group ?? VAULT_GID;
    if (!Number.isInteger(user) || user <= 0) {
      fail(`uid ${user} is not a non-root user`, 'run the agent as a non-zero uid (\'user\' prop)');
    }
    if (!Number.isInteger(group) || group < 0) {
      fail(`gid ${group} is not valid`, 'pass a non-negative integer as \'group\'');
    }
    const image = props.image ?? SidecarImages.VAULT;
    if (!isPinnedImage(image)) {
      fail(`image '${image}' is not pinned`, 'use an exact tag or digest, never \'latest\' or no tag');
    }

    const tokenVolume = serviceAccountTokenVolume(this, 'ServiceAccountToken', {
      name: 'vault-agent-sa-token',
      path: TOKEN_FILE,
      audience: options.audience,
      expirationSeconds: options.expirationSeconds,
    });
    workload.addVolume(tokenVolume);

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
      [a('agent-service-account-token-volume-name')]: tokenVolume.name,
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
    (workload as any)[INJECTOR] = this.node.path;

    // A VaultAgentSidecar on the same pod would be a second agent next to the injected one.
    this.node.addValidation({
      validate: () => this.node.root.node.findAll()
        .filter(Sidecar.isSidecar)
        .filter(s => s.workload === workload && s.kind === SidecarKind.VAULT_AGENT)
        .slice(0, 1)
        .map(s => sidecarError(workload, who, `the pod also has the Vault Agent sidecar '${s.name}', so it would run two agents`, 'use either VaultAgentSidecar or VaultAgentInjector on a workload, not both')),
    });
  }
}

interface CheckedOptions {
  readonly role: string;
  readonly secrets: Array<{ name: string; path: string; template: string }>;
  readonly address: string;
  readonly authPath: string;
  readonly ca?: VaultCaCertificate;
  readonly audience?: string;
  readonly expirationSeconds: number;
}

function checkOptions(props: VaultAgentOptions, fail: (problem: string, fix: string) => never): CheckedOptions {
  if (typeof props.role !== 'string' || !ROLE.test(props.role)) {
    fail(`role ${JSON.stringify(props.role)} is not a Vault role name`, 'use letters, digits, \'_\', \'-\' and \'.\', starting and ending with a letter, digit or \'_\' (Vault\'s own rule for role names)');
  }
  const authPath = props.authPath ?? 'auth/kubernetes';
  if (!isVaultPath(authPath)) {
    fail(`auth path ${JSON.stringify(authPath)} is not a Vault path`, 'pass the mount path of the Kubernetes auth method, e.g. \'auth/kubernetes\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments)');
  }
  const address = normalizeAddress(props.address ?? 'https://vault.vault.svc:8200');
  if (address === undefined) {
    fail(`address ${JSON.stringify(props.address)} is not a Vault server URL`, 'pass http(s)://host[:port], e.g. \'https://vault.vault.svc:8200\', without credentials, path or query');
  }
  if (props.secrets === undefined || props.secrets.length === 0) {
    fail('no secrets to render', 'pass at least one secret in \'secrets\', e.g. { name: \'db-creds\', path: \'database/creds/myapp-db\' }');
  }
  const seen = new Set<string>();
  const secrets = props.secrets.map(s => {
    if (typeof s.name !== 'string' || !SECRET_NAME.test(s.name) || s.name.length > SECRET_NAME_MAX) {
      fail(`secret name ${JSON.stringify(s.name)} is not a valid file name`, `use letters, digits, '.', '_' and '-', starting and ending with a letter or digit, at most ${SECRET_NAME_MAX} characters`);
    }
    if (seen.has(s.name)) {
      fail(`two secrets are named '${s.name}'`, 'give every secret its own name (each is a file)');
    }
    seen.add(s.name);
    if (!isVaultPath(s.path)) {
      fail(`the path ${JSON.stringify(s.path)} of secret '${s.name}' is not a Vault path`, 'pass a path such as \'secret/data/myapp/api-key\' (letters, digits, \'_\', \'-\', \'.\' and \'/\' between segments, no leading \'/\')');
    }
    if (s.template !== undefined && s.template.trim() === '') {
      fail(`the template of secret '${s.name}' is empty`, 'pass a Consul Template template, or leave \'template\' unset for the default JSON rendering');
    }
    return { name: s.name, path: s.path, template: s.template ?? `{{ with secret "${s.path}" }}{{ .Data | toJSON }}{{ end }}\n` };
  });
  if (props.tokenAudience !== undefined && !AUDIENCE.test(props.tokenAudience)) {
    fail(`token audience ${JSON.stringify(props.tokenAudience)} is not valid`, 'pass a name or URL such as \'vault\' (letters, digits, \'.\', \'_\', \':\', \'/\' and \'-\')');
  }
  let expirationSeconds: number | undefined;
  try {
    expirationSeconds = (props.tokenExpiration ?? Duration.hours(1)).toSeconds();
  } catch {
    expirationSeconds = undefined;
  }
  if (expirationSeconds === undefined || expirationSeconds < 600) {
    fail('the token expiration is not a whole number of seconds of at least 10 minutes', 'pass e.g. Duration.hours(1) as \'tokenExpiration\' (Kubernetes requires at least 600 seconds)');
  }
  return {
    role: props.role,
    secrets,
    address: address!,
    authPath,
    ca: checkCa(props.caCertificate, fail),
    audience: props.tokenAudience,
    expirationSeconds: expirationSeconds!,
  };
}

function checkCa(ca: VaultCaCertificate | undefined, fail: (problem: string, fix: string) => never): VaultCaCertificate | undefined {
  if (ca !== undefined && (!SECRET_NAME.test(ca.key) || ca.key.length > 253)) {
    fail(`CA certificate key ${JSON.stringify(ca.key)} is not a valid file name`, 'name the ConfigMap or Secret key that holds the PEM certificate, e.g. \'ca.crt\'');
  }
  return ca;
}

function isVaultPath(path: unknown): path is string {
  return typeof path === 'string' && VAULT_PATH.test(path) && !path.split('/').some(p => p === '.' || p === '..');
}

const addresses = new TextCache<string | null>();

/** The Vault address as `scheme://host[:port]`, or undefined when it is not one (parsed once per distinct address). */
function normalizeAddress(address: string): string | undefined {
  return addresses.get(address, () => parseAddress(address) ?? null) ?? undefined;
}

function parseAddress(address: string): string | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password
    || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '') || !url.hostname) {
    return undefined;
  }
  return `${url.protocol}//${url.host}`;
}

function caVolume(scope: Construct, name: string, ca: VaultCaCertificate): kplus.Volume {
  const items = { [ca.key]: { path: ca.key } };
  return ca._configMap !== undefined
    ? kplus.Volume.fromConfigMap(scope, 'Ca', ca._configMap, { name, items })
    : kplus.Volume.fromSecret(scope, 'Ca', ca._secret!, { name, items });
}

interface ConfigInput {
  /** Render once and exit (init container). */
  readonly once: boolean;
  readonly address: string;
  readonly caCert?: string;
  readonly authPath: string;
  readonly role: string;
  readonly tokenPath: string;
  readonly templates: Array<{ source: string; destination: string }>;
  readonly metricsPort: number;
}

const configs = new TextCache<string>();

/** The agent configuration, rendered once per process for each distinct input (pods with the same props share it). */
function renderConfig(fail: (problem: string, fix: string) => never, c: ConfigInput): string {
  return configs.get(JSON.stringify(c), () => renderConfigText(fail, c));
}

function renderConfigText(fail: (problem: string, fix: string) => never, c: ConfigInput): string {
  const entries: HclEntry[] = [];
  if (c.once) entries.push(attr('exit_after_auth', true));
  entries.push(block('vault', [], [
    attr('address', c.address),
    ...(c.caCert ? [attr('ca_cert', c.caCert)] : []),
  ]));
  entries.push(block('auto_auth', [], [
    block('method', ['kubernetes'], [
      attr('mount_path', c.authPath),
      attr('config', { role: c.role, token_path: c.tokenPath }),
    ]),
    block('sink', ['file'], [attr('config', { path: `${HOME}/.vault-token` })]),
  ]));
  entries.push(block('template_config', [], [attr('exit_on_retry_failure', true)]));
  for (const t of c.templates) {
    entries.push(block('template', [], [
      attr('source', t.source),
      attr('destination', t.destination),
      attr('error_on_missing_key', true),
    ]));
  }
  if (!c.once) {
    entries.push(block('listener', ['tcp'], [
      attr('address', `0.0.0.0:${c.metricsPort}`),
      attr('tls_disable', true),
      attr('role', 'metrics_only'),
    ]));
    entries.push(block('telemetry', [], [
      attr('prometheus_retention_time', '24h'),
      attr('disable_hostname', true),
    ]));
  }
  try {
    return renderHcl(entries);
  } catch (e) {
    if (e instanceof HclValueError) {
      return fail(`a value of the agent configuration cannot be written safely: ${e.message}`, 'remove control characters, \'${\' and \'%{\' from the value');
    }
    throw e;
  }
}

/** What the agent's containers (the sidecar and the LEGACY render-once step) share. */
function agentContainer(props: VaultAgentSidecarProps): SidecarProps {
  return {
    resources: props.resources,
    startRank: props.startRank,
    beforeInitContainers: props.beforeInitContainers,
    appContainers: props.appContainers,
    user: props.user ?? VAULT_UID,
    group: props.group ?? (props.user === undefined ? VAULT_GID : undefined),
    workload: props.workload,
    image: props.image ?? SidecarImages.VAULT,
    profile: SidecarProfile.SECRET_INJECTION,
    kind: SidecarKind.VAULT_AGENT,
    // The binary itself: the image's entrypoint script tries setcap and su-exec.
    command: ['vault'],
  };
}
