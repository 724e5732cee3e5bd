import { createHash } from 'crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { TextCache } from './_memo';
import { AppMount, runsToCompletion } from './_pod';
import { resourceProblems } from './_resources';
import { dnsLabelFrom, isDnsLabel, isPinnedImage, isPortName, isPortNumber, libraryError, portKey, sidecarError, wholeSeconds } from './_util';
import { PodSidecars } from './pod-sidecars';
import { SidecarProfile } from './profile';

const DEFAULT_MODE = Symbol.for('cdk8s-sidecars.defaultMode');
const SIDECAR = Symbol.for('cdk8s-sidecars.Sidecar');
const ROLLOUT_DIGESTS = new TextCache<string>(1024);

/**
 * How a sidecar is put into the pod.
 */
export enum SidecarMode {
  /**
   * A native sidecar (KEP-753): an init container with `restartPolicy: Always`.
   * It starts before the app (gated by its startup probe), runs for the pod's whole
   * life and stops after the app. Needs Kubernetes 1.29+ (1.28 behind the
   * `SidecarContainers` feature gate).
   */
  NATIVE = 'NATIVE',

  /**
   * An ordinary container next to the app, for clusters older than 1.29. Put first
   * in the pod's container list, with a blocking postStart hook where the sidecar
   * declares one. Not allowed on workloads that run to completion (Jobs,
   * CronJobs, pods with restartPolicy Never/OnFailure) unless the sidecar has a
   * Job-safe legacy form.
   */
  LEGACY = 'LEGACY',
}

/**
 * Where a sidecar's container ended up in the pod spec.
 */
export enum SidecarPlacement {
  /** `initContainers`, with `restartPolicy: Always` (SidecarMode.NATIVE). */
  NATIVE_SIDECAR = 'NATIVE_SIDECAR',
  /** `containers`, next to the app (SidecarMode.LEGACY). */
  CONTAINER = 'CONTAINER',
  /** `initContainers`, run once to completion: the Job-safe legacy form. */
  INIT_CONTAINER = 'INIT_CONTAINER',
}

/**
 * Which tool a sidecar runs. It selects the tool's alert rules (SidecarAlerts);
 * the named sidecars set it, and a generic sidecar running one of these tools
 * (your own build of Envoy, say) may set it too.
 */
export enum SidecarKind {
  /** Any other tool: the generic restart and readiness alerts only. */
  GENERIC = 'generic',
  /** Fluent Bit log collector. */
  FLUENT_BIT = 'fluent-bit',
  /** Envoy proxy. */
  ENVOY = 'envoy',
  /** Vault Agent secret injector. */
  VAULT_AGENT = 'vault-agent',
  /** configmap-reload config reloader. */
  CONFIG_RELOADER = 'config-reloader',
  /** Prometheus StatsD exporter. */
  STATSD_EXPORTER = 'statsd-exporter',
}

/**
 * Where Prometheus scrapes a sidecar's metrics.
 */
export interface SidecarMetricsEndpoint {
  /**
   * The name of the sidecar's container port that serves the metrics.
   */
  readonly portName: string;

  /**
   * The HTTP path of the metrics. A query string (`/agent/v1/metrics?format=prometheus`)
   * is allowed; scrape configs send it as URL parameters.
   *
   * @default '/metrics'
   */
  readonly path?: string;
}

/**
 * A volume shared between a sidecar and the app.
 */
export interface SharedVolumeOptions {
  /**
   * The volume. When the pod already has a volume with this name (added by the
   * user or another sidecar), that volume is used instead: a pod never gets two
   * volumes with one name.
   */
  readonly volume: kplus.Volume;

  /**
   * Where the sidecar mounts the volume (an absolute path).
   */
  readonly path: string;

  /**
   * Mount read-only into the sidecar (for content the sidecar only reads).
   *
   * @default false
   */
  readonly readOnly?: boolean;

  /**
   * Mount the volume into the app containers too.
   *
   * @default true
   */
  readonly mountInApp?: boolean;

  /**
   * Where the app containers mount the volume.
   *
   * @default - the sidecar's path
   */
  readonly appPath?: string;

  /**
   * Mount read-only into the app containers.
   *
   * @default false
   */
  readonly appReadOnly?: boolean;
}

/**
 * What every sidecar accepts, named ones included.
 */
export interface SidecarOptions {
  /**
   * The container name (a DNS label, unique in the pod).
   *
   * @default - the sidecar kind's name (`fluent-bit`, `envoy`, ...); for a generic
   * `Sidecar`, the construct id
   */
  readonly name?: string;

  /**
   * Native sidecar or legacy container.
   *
   * @default - the mode set with `Sidecar.setDefaultMode()` on the nearest enclosing
   * scope (chart, app), else `SidecarMode.NATIVE`
   */
  readonly mode?: SidecarMode;

  /**
   * Resource overrides, field by field, on top of the profile's values.
   *
   * @default - the profile's requests and limits
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Position in the start order (lower starts first; ties keep attach order).
   * Log collectors are 100, secret injectors 200, proxies 300, the rest 400.
   *
   * @default - the profile's start rank
   */
  readonly startRank?: number;

  /**
   * Start before the workload's own init containers, so that a migration init
   * container already has logs, secrets and proxy. Set to false for a sidecar that
   * needs what an init container prepares.
   *
   * @default true
   */
  readonly beforeInitContainers?: boolean;

  /**
   * Names of the containers that receive the shared volumes and environment: app
   * containers, and the workload's own init containers when the sidecar runs before
   * them (native or run-once, with `beforeInitContainers`).
   *
   * @default - every app container, and the workload's own init containers that start after this sidecar
   */
  readonly appContainers?: string[];

  /**
   * The uid the container runs as (never 0).
   *
   * @default - the image's own non-root uid
   */
  readonly user?: number;

  /**
   * The gid the container runs as.
   *
   * @default - the image's own gid
   */
  readonly group?: number;
}

/**
 * Properties of a generic sidecar: any image, with the shared lifecycle,
 * security, resources and validation.
 */
export interface SidecarProps extends SidecarOptions {
  /**
   * The pod to add the sidecar to: a Deployment, StatefulSet, DaemonSet, Job,
   * CronJob or Pod.
   */
  readonly workload: kplus.AbstractPod;

  /**
   * The container image, pinned to an exact tag or digest (never `latest`).
   */
  readonly image: string;

  /**
   * Resources and start order.
   *
   * @default SidecarProfile.DATA_SYNC
   */
  readonly profile?: SidecarProfile;

  /**
   * The tool the sidecar runs, for its alert rules.
   *
   * @default SidecarKind.GENERIC
   */
  readonly kind?: SidecarKind;

  /**
   * Where Prometheus scrapes the sidecar's metrics (one of its named ports).
   *
   * @default - not scraped
   */
  readonly metrics?: SidecarMetricsEndpoint;

  /**
   * Entrypoint.
   *
   * @default - the image's entrypoint
   */
  readonly command?: string[];

  /**
   * Arguments.
   *
   * @default - the image's arguments
   */
  readonly args?: string[];

  /**
   * Ports the sidecar listens on (checked against every other container of the pod).
   *
   * @default - none
   */
  readonly ports?: kplus.ContainerPort[];

  /**
   * Environment variables of the sidecar.
   *
   * @default - none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };

  /**
   * What "ready" means for this sidecar. In NATIVE mode it is the startup probe,
   * and the kubelet starts the next container (and the app) only once it passes.
   *
   * @default - no startup gating
   */
  readonly startupProbe?: kplus.Probe;

  /**
   * Readiness probe.
   *
   * @default - none
   */
  readonly readiness?: kplus.Probe;

  /**
   * Liveness probe.
   *
   * @default - none
   */
  readonly liveness?: kplus.Probe;

  /**
   * LEGACY mode's startup gate: a command, present in the image, that blocks until
   * the sidecar is ready. It runs as a postStart hook, and the kubelet starts the
   * next container only after it returns.
   *
   * @default - in LEGACY mode the sidecar is first in the list but does not gate the app
   */
  readonly legacyStartupCommand?: string[];

  /**
   * A hook run before the sidecar is stopped (a drain).
   *
   * @default - none
   */
  readonly preStop?: kplus.Handler;

  /**
   * The time this sidecar needs after the app has stopped (drain, flush). The pod's
   * terminationGracePeriodSeconds is raised to cover the app and every sidecar.
   *
   * @default Duration.seconds(0)
   */
  readonly shutdownBudget?: Duration;

  /**
   * Paths the tool writes to. Each gets its own emptyDir (with a size limit); the
   * root filesystem stays read-only.
   *
   * @default - none
   */
  readonly writablePaths?: string[];

  /**
   * Size limit of each writable path's emptyDir.
   *
   * @default Size.mebibytes(64)
   */
  readonly writableSizeLimit?: Size;

  /**
   * Volumes shared with the app.
   *
   * @default - none
   */
  readonly sharedVolumes?: SharedVolumeOptions[];

  /**
   * The Job-safe legacy form: in LEGACY mode on a workload that runs to
   * completion, render this sidecar as an ordinary init container that runs once
   * before the app instead of failing. Only for tools that exit on their own in
   * that case (for example Vault Agent pre-populating secrets).
   *
   * @default false
   */
  readonly legacyJobInitContainer?: boolean;

  /**
   * The container runs once, to completion, as an ordinary init container, in
   * every mode and on every workload kind: a one-shot step such as Vault Agent
   * pre-populating secrets before a legacy sidecar keeps them fresh. It takes its
   * place in the start order like any sidecar; probes, hooks and the shutdown
   * budget do not apply to it.
   *
   * @default false
   */
  readonly runOnce?: boolean;
}

/**
 * A sidecar: one helper container added to a cdk8s-plus-28 workload, with the
 * lifecycle (native or legacy), start order, startup gating, shutdown budget,
 * resources, shared volumes and restricted security that every sidecar shares.
 *
 * Use it directly for any image (an rclone data-sync sidecar, an exporter) or
 * through the named sidecars built on it.
 */
export class Sidecar extends Construct {
  /**
   * Sets the default mode of every sidecar created below `scope` (an App or a
   * Chart): the one place a team on clusters older than 1.29 switches to LEGACY.
   * Call it before creating sidecars in that scope.
   */
  public static setDefaultMode(scope: IConstruct, mode: SidecarMode): void {
    if (!Object.values(SidecarMode).includes(mode)) {
      throw new Error(libraryError(`scope '${scope.node.path}'`, `'${mode}' is not a sidecar mode`, 'pass SidecarMode.NATIVE or SidecarMode.LEGACY'));
    }
    const existing = scope.node.findAll().filter(Sidecar.isSidecar);
    if (existing.length > 0) {
      throw new Error(libraryError(`scope '${scope.node.path}'`,
        `the default sidecar mode was set after sidecar '${existing[0].name}' was created in it (at '${existing[0].node.path}')`,
        'call Sidecar.setDefaultMode() before creating the sidecars of this scope'));
    }
    (scope as any)[DEFAULT_MODE] = mode;
  }

  /**
   * The mode a sidecar created in `scope` gets when it does not choose one.
   */
  public static defaultModeOf(scope: IConstruct): SidecarMode {
    for (const s of [...scope.node.scopes].reverse()) {
      const mode = (s as any)[DEFAULT_MODE];
      if (mode !== undefined) return mode;
    }
    return SidecarMode.NATIVE;
  }

  /**
   * True when `x` is a Sidecar.
   */
  public static isSidecar(x: any): x is Sidecar {
    return x !== null && typeof x === 'object' && SIDECAR in x;
  }

  /** The workload the sidecar is attached to. */
  public readonly workload: kplus.AbstractPod;

  /** The sidecar's container. */
  public readonly container: kplus.Container;

  /** The mode the sidecar was built in. */
  public readonly mode: SidecarMode;

  /** Where the container is in the pod spec. */
  public readonly placement: SidecarPlacement;

  /** Resources and start order. */
  public readonly profile: SidecarProfile;

  /** The tool the sidecar runs. */
  public readonly kind: SidecarKind;

  /** Where Prometheus scrapes the sidecar's metrics, if anywhere. */
  public readonly metrics?: SidecarMetricsEndpoint;

  /** Position in the start order: lower starts first. */
  public readonly startRank: number;

  /** Whether the sidecar starts before the workload's own init containers. */
  public readonly beforeInitContainers: boolean;

  /** The time the sidecar needs after the app has stopped. */
  public readonly shutdownBudget: Duration;

  /** Whether the sidecar gates the app's start (a startup probe or legacy startup command). */
  public readonly gatesStartup: boolean;

  private readonly appContainerNames?: string[];
  private readonly appMounts: AppMount[] = [];
  private readonly appEnv: { [name: string]: kplus.EnvValue } = {};

  public constructor(scope: Construct, id: string, props: SidecarProps) {
    super(scope, id);
    Object.defineProperty(this, SIDECAR, { value: true });
    const workload = props.workload;
    const name = props.name ?? id;
    this.workload = workload;

    const fail = (problem: string, fix: string): never => {
      throw new Error(sidecarError(workload, name, problem, fix));
    };

    if (!isDnsLabel(name)) {
      fail(`'${name}' is not a valid container name`, 'use a DNS label: lower-case letters, digits and \'-\', at most 63 characters, set with the \'name\' prop');
    }
    const taken = [...workload.initContainers, ...workload.containers].find(c => c.name === name);
    if (taken) {
      fail(`the pod already has a container named '${name}'`, 'give this sidecar another name with the \'name\' prop');
    }
    if (!isPinnedImage(props.image)) {
      fail(`image '${props.image}' is not pinned`, 'use an exact tag or digest, never \'latest\' or no tag');
    }

    this.mode = props.mode ?? Sidecar.defaultModeOf(this);
    if (!Object.values(SidecarMode).includes(this.mode)) {
      fail(`'${this.mode}' is not a sidecar mode`, 'pass SidecarMode.NATIVE or SidecarMode.LEGACY');
    }
    if (props.runOnce) {
      this.placement = SidecarPlacement.INIT_CONTAINER;
    } else if (this.mode === SidecarMode.NATIVE) {
      this.placement = SidecarPlacement.NATIVE_SIDECAR;
    } else if (props.legacyJobInitContainer && runsToCompletion(workload)) {
      this.placement = SidecarPlacement.INIT_CONTAINER;
    } else {
      this.placement = SidecarPlacement.CONTAINER;
    }

    this.profile = props.profile ?? SidecarProfile.DATA_SYNC;
    this.kind = props.kind ?? SidecarKind.GENERIC;
    this.startRank = props.startRank ?? this.profile.startRank;
    if (!Number.isFinite(this.startRank)) {
      fail(`start rank ${this.startRank} is not a number`, 'pass a finite number as \'startRank\' (100 log collectors, 200 secret injectors, 300 proxies, 400 others)');
    }
    this.beforeInitContainers = props.beforeInitContainers ?? true;
    this.appContainerNames = props.appContainers ? [...props.appContainers] : undefined;

    this.shutdownBudget = props.shutdownBudget ?? Duration.seconds(0);
    if (wholeSeconds(this.shutdownBudget) === undefined) {
      fail('the shutdown budget is not a whole, non-negative number of seconds', 'pass e.g. Duration.seconds(10) as \'shutdownBudget\'');
    }

    const resources = this.profile.resources(props.resources);
    for (const problem of resourceProblems(resources)) {
      fail(problem, 'correct the \'resources\' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)');
    }

    const ports = props.ports ?? [];
    ports.forEach((port, i) => {
      if (!isPortNumber(port.number)) {
        fail(`port ${port.number} is not a valid port number`, 'use an integer from 1 to 65535');
      }
      if (port.name !== undefined && !isPortName(port.name)) {
        fail(`port name '${port.name}' is not valid`, 'use at most 15 lower-case letters, digits and single \'-\', with at least one letter');
      }
      if (ports.slice(0, i).some(p => portKey(p) === portKey(port))) {
        fail(`port ${portKey(port)} is listed twice`, 'list each port of the sidecar once');
      }
      if (port.name !== undefined && ports.slice(0, i).some(p => p.name === port.name)) {
        fail(`two ports are named '${port.name}'`, 'give each port of the sidecar its own name');
      }
    });

    for (const variable of Object.keys(props.envVariables ?? {})) {
      if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(variable)) {
        fail(`${JSON.stringify(variable)} is not a valid environment variable name`, 'use letters, digits, \'_\', \'-\' and \'.\', not starting with a digit (the API server refuses other names)');
      }
    }

    if (props.metrics !== undefined) {
      const { portName, path = '/metrics' } = props.metrics;
      if (!ports.some(p => p.name === portName)) {
        fail(`the metrics port '${portName}' is not one of the sidecar's named ports`, 'name the port that serves the metrics in \'ports\' and pass that name as \'metrics.portName\'');
      }
      if (!path.startsWith('/') || /\s/.test(path)) {
        fail(`metrics path '${path}' is not an absolute URL path`, 'pass a path such as \'/metrics\'');
      }
      this.metrics = { portName, path };
    }

    const user = props.user ?? 65532;
    const group = props.group ?? user;
    if (!Number.isInteger(user) || user <= 0) {
      fail(`uid ${user} is not a non-root user`, 'run the sidecar as the image\'s own non-zero uid (\'user\' prop)');
    }
    if (!Number.isInteger(group) || group < 0) {
      fail(`gid ${group} is not valid`, 'pass a non-negative integer as \'group\'');
    }

    const native = this.placement === SidecarPlacement.NATIVE_SIDECAR;
    const runsOnce = this.placement === SidecarPlacement.INIT_CONTAINER;
    const legacyStart = this.placement === SidecarPlacement.CONTAINER ? props.legacyStartupCommand : undefined;
    this.gatesStartup = native ? props.startupProbe !== undefined : legacyStart !== undefined;

    const containerProps: kplus.ContainerProps = {
      name,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: props.command,
      args: props.args,
      ports,
      envVariables: props.envVariables,
      resources,
      securityContext: {
        ensureNonRoot: true,
        user,
        group,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
      // An init container that runs once may have neither probes nor lifecycle hooks.
      startup: runsOnce ? undefined : props.startupProbe,
      readiness: runsOnce ? undefined : props.readiness,
      liveness: runsOnce ? undefined : props.liveness,
      lifecycle: runsOnce || (!legacyStart && !props.preStop) ? undefined : {
        postStart: legacyStart ? kplus.Handler.fromCommand(legacyStart) : undefined,
        preStop: props.preStop,
      },
      restartPolicy: native ? kplus.ContainerRestartPolicy.ALWAYS : undefined,
    };
    this.container = this.placement === SidecarPlacement.CONTAINER
      ? workload.addContainer(containerProps)
      : workload.addInitContainer(containerProps);

    const sizeLimit = props.writableSizeLimit ?? Size.mebibytes(64);
    (props.writablePaths ?? []).forEach((path, i) => {
      this.checkPath(path, 'writablePaths');
      const volumeName = dnsLabelFrom(name, path === '/' ? 'root' : path);
      const volume = kplus.Volume.fromEmptyDir(this, `Writable${i}`, volumeName, { sizeLimit });
      this.mountInSidecar(path, PodSidecars.of(workload)._shareVolume(volume), false);
    });

    PodSidecars.of(workload)._register(this);

    for (const shared of props.sharedVolumes ?? []) {
      this.shareVolume(shared);
    }
  }

  /**
   * Rolls the workload's pods when the sidecar's config changes, for tools that read
   * their config only at start: the pod template gets the annotation
   * `config.cdk8s-sidecars.io/<container name>` with a digest of `files`.
   *
   * @param files the config files (name to content) the tool reads at start
   * @returns the digest
   */
  protected rollOnConfigChange(files: { [name: string]: string }): string {
    // The digest's input: each file's name and content, NUL-terminated, by name.
    // Pods with the same config share one digest, computed once per process.
    const input = Object.keys(files).sort().map(name => `${name}\0${files[name]}\0`).join('');
    const digest = ROLLOUT_DIGESTS.get(input, () => createHash('sha256').update(input).digest('hex').slice(0, 16));
    // The key's name part is the container name, a DNS label: always a valid key.
    this.workload.podMetadata.addAnnotation(`config.cdk8s-sidecars.io/${this.name}`, digest);
    return digest;
  }

  /** The container name. */
  public get name(): string {
    return this.container.name;
  }

  /**
   * Mounts a volume into the sidecar and, by default, into the app containers.
   * A volume of the same name already in the pod is reused. Mounts never use
   * subPath, so both sides see updates.
   *
   * @returns the volume actually mounted (the pod's own when the name was taken)
   */
  public shareVolume(options: SharedVolumeOptions): kplus.Volume {
    this.checkPath(options.path, 'path');
    const volume = PodSidecars.of(this.workload)._shareVolume(options.volume);
    // A memory-backed emptyDir without a limit can fill the node's memory.
    const emptyDir = volume._toKube().emptyDir;
    if (emptyDir?.medium === kplus.EmptyDirMedium.MEMORY && emptyDir.sizeLimit === undefined) {
      throw new Error(sidecarError(this.workload, this.name, `shared volume '${volume.name}' is a memory-backed emptyDir without a size limit`, 'give it a sizeLimit (Volume.fromEmptyDir(scope, id, name, { medium: EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(64) }))'));
    }
    this.mountInSidecar(options.path, volume, options.readOnly ?? false);
    if (options.mountInApp ?? true) {
      const appPath = options.appPath ?? options.path;
      this.checkPath(appPath, 'appPath');
      this.appMounts.push({ path: appPath, volume, readOnly: options.appReadOnly ?? false });
    }
    return volume;
  }

  /**
   * Sets an environment variable on the app containers (for example the address
   * of the sidecar). A variable the app container already sets is left alone.
   */
  public addAppEnvVariable(name: string, value: kplus.EnvValue): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(sidecarError(this.workload, this.name, `'${name}' is not a valid environment variable name`, 'use letters, digits and \'_\', not starting with a digit'));
    }
    this.appEnv[name] = value;
  }

  /**
   * The app containers this sidecar serves.
   *
   * @internal
   */
  public get _appContainerNames(): string[] | undefined {
    return this.appContainerNames ? [...this.appContainerNames] : undefined;
  }

  /** @internal */
  public get _appMounts(): AppMount[] {
    return [...this.appMounts];
  }

  /** @internal */
  public get _appEnv(): { [name: string]: kplus.EnvValue } {
    return { ...this.appEnv };
  }

  private mountInSidecar(path: string, volume: kplus.Volume, readOnly: boolean) {
    const clash = this.container.mounts.find(m => m.path === path);
    if (clash) {
      throw new Error(sidecarError(this.workload, this.name, `two volumes are mounted at '${path}' ('${clash.volume.name}' and '${volume.name}')`, 'mount each volume at its own path'));
    }
    this.container.mount(path, volume, { readOnly });
  }

  private checkPath(path: string, prop: string) {
    if (!path.startsWith('/') || path.includes('\n') || path.split('/').includes('..')) {
      throw new Error(sidecarError(this.workload, this.name, `'${path}' is not an absolute path`, `pass an absolute path without '..' as '${prop}'`));
    }
  }
}
