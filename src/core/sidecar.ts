import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { AppMount, DeclaredVolume, portKey, recordedSidecarsIn, recordSidecar, unboundedMemory } from './_internal';
import { TextCache } from './_memo';
import { keepWithWorkload, runsToCompletion } from './_pod';
import { sharedPlan } from './_spec-cache';
import { Checks, dnsLabelFrom, isConfigMapKey, isDnsLabel, isLabelValue, isPortName, isQualifiedName } from './checks';
import { Fail, failFor, workloadSubject } from './errors';
import { PodSidecars } from './pod-sidecars';
import { SidecarProfile } from './profile';
import { SidecarVolume, SidecarVolumeSource, SidecarVolumeWriters } from './volumes';
import { AlertPack } from '../alerts/pack';
import { DashboardPack } from '../dashboards/pack';

const SIDECAR = Symbol.for('cdk8s-sidecars.Sidecar');
const DEFAULT_MODES = new WeakMap<IConstruct, SidecarMode>();
const ROLLOUT_DIGESTS = new TextCache<string>(1024);
/** The uid and gid of a generic sidecar's image: the distroless `nonroot` user. */
const NONROOT = 65532;

/**
 * How a sidecar is put into the pod.
 */
export enum SidecarMode {
  /**
   * A native sidecar (KEP-753): an init container with `restartPolicy: Always`.
   * It starts before the app (gated by its startup probe or startup command), runs for
   * the pod's whole life and stops after the app (or with it, given a
   * `stopWithAppCommand`). Needs Kubernetes 1.29+ (1.28 behind the
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
  /** `initContainers`, run once to completion: the Job-safe legacy form, or a one-shot step. */
  INIT_CONTAINER = 'INIT_CONTAINER',
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
 * A port a sidecar listens on.
 */
export interface SidecarPort {
  /**
   * The port number.
   */
  readonly number: number;

  /**
   * The port name (an IANA service name: at most 15 lower-case letters, digits and
   * '-'), unique among the sidecar's ports.
   *
   * @default - unnamed
   */
  readonly name?: string;

  /**
   * The protocol.
   *
   * @default kplus.Protocol.TCP
   */
  readonly protocol?: kplus.Protocol;

  /**
   * The prop that set the port, named in error messages (`'metricsPort'`).
   *
   * @default - the port name
   */
  readonly prop?: string;
}

/**
 * A port the app must listen on for the sidecar to work (the port a proxy forwards to).
 */
export interface SidecarAppPort {
  /**
   * The port number.
   */
  readonly number: number;

  /**
   * The prop that set it, named in error messages.
   */
  readonly prop: string;
}

/**
 * A companion of a sidecar: an init container that runs once, to completion, right
 * before the sidecar's place in the start order, with the sidecar's image, security,
 * resources, volumes and environment (Vault Agent rendering the secrets once before a
 * LEGACY agent keeps them fresh).
 */
export interface SidecarCompanion {
  /**
   * The container name (a DNS label, unique in the pod).
   */
  readonly name: string;

  /**
   * Entrypoint.
   *
   * @default - the sidecar's
   */
  readonly command?: string[];

  /**
   * Arguments.
   *
   * @default - the sidecar's
   */
  readonly args?: string[];
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
   * @default - the image's own gid (whatever `user` is)
   */
  readonly group?: number;
}

/**
 * What a sidecar is: its image, ports, probes, config files, volumes, lifecycle and
 * alerts. Every named sidecar turns its props into one of these; a `Sidecar` of your
 * own is given one directly. Only the core turns it into containers, mounts,
 * ConfigMaps and annotations.
 */
export interface SidecarSpec {
  /**
   * The container image, pinned to an exact tag or digest (never `latest`).
   */
  readonly image: string;

  /**
   * The uid the image runs as: the default of `user`.
   *
   * @default 65532 (the distroless `nonroot` user)
   */
  readonly imageUser?: number;

  /**
   * The gid the image runs as: the default of `group`.
   *
   * @default 65532 (the distroless `nonroot` group)
   */
  readonly imageGroup?: number;

  /**
   * The tool the sidecar runs, a short name (`envoy`, `rclone`): dashboards group by it.
   *
   * @default 'generic'
   */
  readonly kind?: string;

  /**
   * Resources and start order.
   *
   * @default SidecarProfile.DATA_SYNC
   */
  readonly profile?: SidecarProfile;

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
  readonly ports?: SidecarPort[];

  /**
   * Environment variables of the sidecar.
   *
   * @default - none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };

  /**
   * Environment variables set on the app containers (the sidecar's address, say). A
   * variable an app container already sets is left alone.
   *
   * @default - none
   */
  readonly appEnvVariables?: { [name: string]: kplus.EnvValue };

  /**
   * Ports an app container must declare, for a sidecar that forwards to the app.
   *
   * @default - none
   */
  readonly appPorts?: SidecarAppPort[];

  /**
   * Where Prometheus scrapes the sidecar's metrics (one of its named ports).
   *
   * @default - not scraped
   */
  readonly metrics?: SidecarMetricsEndpoint;

  /**
   * What "ready" means for this sidecar. In NATIVE mode it is the startup probe,
   * and the kubelet starts the next container (and the app) only once it passes:
   * give one only to a sidecar the app needs at start. A `startupCommand` replaces it
   * as the gate in NATIVE mode: it is then not rendered there (LEGACY keeps it).
   *
   * @default - no startup gating
   */
  readonly startup?: kplus.Probe;

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
   * A command, present in the image, that blocks until the tool is ready, bounded by
   * the sidecar's startup timeout (it exits non-zero when the tool is not ready in
   * time). The core renders it as the container's postStart hook, in both modes: the
   * kubelet runs the hook inside the sync that started the container and starts the
   * next container (and the app) only after it returned (a failing hook kills the
   * container, which is restarted). In NATIVE mode it replaces the startup probe as
   * the gate (`startup` is then not rendered as a startupProbe): the hook costs no
   * probe period and no extra kubelet relist.
   *
   * @default - the `startup` probe gates in NATIVE mode; in LEGACY mode the sidecar is
   * first in the list but does not gate the app
   */
  readonly startupCommand?: string[];

  /**
   * A hook run before the sidecar is stopped (a drain). The kubelet runs every
   * container's preStop hook at once when the pod is deleted, a native sidecar's too:
   * it must not sleep (it would hold the sidecar's SIGTERM back, and so the deletion).
   * A spec has either `preStop` or `stopWithAppCommand`, never both.
   *
   * @default - none
   */
  readonly preStop?: kplus.Handler;

  /**
   * NATIVE only: a command its preStop hook runs at deletion to stop the tool in
   * parallel with the app's own stop, for a sidecar the app does not need while it
   * stops; it takes the sidecar out of the kubelet's sequential termination after the
   * app (a sidecar that has exited by then is passed at once). The command must return
   * at once and must not die with the container: `['sh', '-c', 'kill -TERM 1']` for a
   * tool that runs as PID 1 and handles SIGTERM (a signal sent from inside the container
   * reaches its PID 1 only if PID 1 handles it). Its `shutdownBudget` then runs in
   * parallel with the app's. Not rendered in LEGACY mode (a LEGACY sidecar stops with
   * the app anyway). A spec has either `preStop` or `stopWithAppCommand`, never both.
   *
   * @default - the sidecar gets its SIGTERM after the app and every later sidecar have exited
   */
  readonly stopWithAppCommand?: string[];

  /**
   * The longest time the `preStop` hook runs. It runs from the start of the deletion,
   * in parallel with the app's own stop: it adds to the pod's
   * terminationGracePeriodSeconds only what exceeds the app's shutdown time.
   *
   * @default Duration.seconds(0)
   */
  readonly preStopBudget?: Duration;

  /**
   * The time this sidecar needs after the app has stopped (a flush). A NATIVE sidecar
   * gets its SIGTERM after every app container and every sidecar started after it has
   * exited, so the pod's terminationGracePeriodSeconds covers the app (or a longer
   * `preStopBudget`) plus the native sidecars' budgets one after another; LEGACY
   * sidecars' budgets are added to the app's time. A NATIVE sidecar with a
   * `stopWithAppCommand` stops from the deletion's start: its budget runs in parallel
   * with the app's stop.
   *
   * @default Duration.seconds(0)
   */
  readonly shutdownBudget?: Duration;

  /**
   * Paths the tool writes to. Each gets its own private emptyDir (with a size limit);
   * the root filesystem stays read-only.
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
   * Config files (file name to content) the tool reads: a ConfigMap in the
   * workload's namespace, mounted read-only at `configDir`. The pods roll when a file
   * changes (the annotation `config.cdk8s-sidecars.io/<container name>` holds a digest).
   *
   * @default - none
   */
  readonly configFiles?: { [file: string]: string };

  /**
   * Where the config files are mounted in the sidecar.
   *
   * @default '/etc/<container name>'
   */
  readonly configDir?: string;

  /**
   * Volumes of the sidecar: private, or shared with the app.
   *
   * @default - none
   */
  readonly volumes?: SidecarVolume[];

  /**
   * Init containers that run once right before the sidecar.
   *
   * @default - none
   */
  readonly companions?: SidecarCompanion[];

  /**
   * The alerts of the tool (SidecarAlerts adds them for every sidecar that has them).
   *
   * @default - the generic restart and readiness alerts only
   */
  readonly alertPack?: AlertPack;

  /**
   * The Grafana dashboard of the tool (SidecarDashboards renders one per pack present).
   *
   * @default - the sidecar is on the overview dashboard only
   */
  readonly dashboardPack?: DashboardPack;

  /**
   * Annotations on the pod template.
   *
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };

  /**
   * Labels on the pod template.
   *
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };

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
   * every mode and on every workload kind. It takes its place in the start order
   * like any sidecar; probes, hooks and the shutdown budget do not apply to it.
   *
   * @default false
   */
  readonly runOnce?: boolean;
}

/**
 * Properties of a sidecar: the workload, the options and the spec.
 */
export interface SidecarProps extends SidecarOptions, SidecarSpec {
  /**
   * The pod to add the sidecar to: a Deployment, StatefulSet, DaemonSet, Job,
   * CronJob or Pod.
   */
  readonly workload: kplus.AbstractPod;
}

/**
 * A sidecar: one helper container added to a cdk8s-plus-28 workload, with the
 * lifecycle (native or legacy), start order, startup gating, shutdown budget,
 * resources, volumes, config rollout and restricted security that every sidecar
 * shares.
 *
 * Use it directly for any image (an rclone data-sync sidecar, an exporter) or
 * through the named sidecars, which are built on it.
 */
export class Sidecar extends Construct {
  /**
   * Sets the default mode of every sidecar created below `scope` (an App or a
   * Chart): the one place a team on clusters older than 1.29 switches to LEGACY.
   * Call it before creating sidecars in that scope.
   */
  public static setDefaultMode(scope: IConstruct, mode: SidecarMode): void {
    const fail = failFor({ noun: 'scope', path: scope.node.path });
    new Checks(fail).oneOf('mode', mode, SidecarMode, 'SidecarMode');
    const existing = recordedSidecarsIn(scope) as Sidecar[];
    if (existing.length > 0) {
      fail('DEFAULT_MODE_TOO_LATE', `the default sidecar mode was set after sidecar '${existing[0].name}' was created in it (at '${existing[0].node.path}')`,
        'call Sidecar.setDefaultMode() before creating the sidecars of this scope');
    }
    DEFAULT_MODES.set(scope, mode);
  }

  /**
   * The mode a sidecar created in `scope` gets when it does not choose one.
   */
  public static defaultModeOf(scope: IConstruct): SidecarMode {
    for (const s of [...scope.node.scopes].reverse()) {
      const mode = DEFAULT_MODES.get(s);
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

  /** The companion init containers that run once before it. */
  public readonly companions: kplus.Container[];

  /** The mode the sidecar was built in. */
  public readonly mode: SidecarMode;

  /** Where the container is in the pod spec. */
  public readonly placement: SidecarPlacement;

  /** Resources and start order. */
  public readonly profile: SidecarProfile;

  /** The tool the sidecar runs. */
  public readonly kind: string;

  /** Where Prometheus scrapes the sidecar's metrics, if anywhere. */
  public readonly metrics?: SidecarMetricsEndpoint;

  /** The tool's alerts, if it has any beyond the generic ones. */
  public readonly alertPack?: AlertPack;

  /** The tool's dashboard, if it has one beyond the overview. */
  public readonly dashboardPack?: DashboardPack;

  /** Position in the start order: lower starts first. */
  public readonly startRank: number;

  /** Whether the sidecar starts before the workload's own init containers. */
  public readonly beforeInitContainers: boolean;

  /** The time the sidecar needs after the app has stopped. */
  public readonly shutdownBudget: Duration;

  /** The longest time its preStop hook runs, in parallel with the app's stop. */
  public readonly preStopBudget: Duration;

  /** Whether the sidecar gates the app's start (a startup probe or a startup command). */
  public readonly gatesStartup: boolean;

  /**
   * Whether the sidecar stops in parallel with the app at deletion (NATIVE, with a
   * `stopWithAppCommand`) instead of after it.
   */
  public readonly stopsWithApp: boolean;

  /** The ConfigMap of the config files, if the sidecar has any. */
  public readonly configMap?: kplus.ConfigMap;

  /**
   * The digest of the config files in the pod annotation
   * `config.cdk8s-sidecars.io/<container name>`, which rolls the pods when a file changes:
   * the first 16 hexadecimal digits of the SHA-256 of each file's name and content, each
   * followed by a NUL byte, in name order.
   */
  public readonly configDigest?: string;

  /** Ports an app container must declare. @internal */
  public readonly _appPorts: SidecarAppPort[];

  /** Ports of the sidecar with the props they came from. @internal */
  public readonly _ports: SidecarPort[];

  /** Volumes the sidecar declared. @internal */
  public readonly _volumes: DeclaredVolume[] = [];

  private readonly appContainerNames?: string[];
  private readonly appMounts: AppMount[] = [];
  /** Variables for the app containers, in the order set; a name set again keeps its place. */
  private readonly appEnv = new Map<string, kplus.EnvValue>();
  private readonly checks: Checks;

  public constructor(scope: Construct, id: string, props: SidecarProps) {
    super(scope, id);
    recordSidecar(this);
    const workload = props.workload;
    const name = props.name ?? id;
    this.workload = workload;
    const fail = failFor(workloadSubject(workload, name));
    const checks = new Checks(fail);
    this.checks = checks;

    // What the props decide apart from the workload: made once for every pod whose sidecar
    // was made from the same shared spec (see `namedSidecarProps`), checks included.
    const plan = sharedPlan(props, () => planOf(props, name, workload, this, checks));
    this.mode = plan.mode;
    this.placement = plan.placement;
    this.profile = plan.profile;
    this.kind = plan.kind;
    this.alertPack = plan.alertPack;
    this.dashboardPack = plan.dashboardPack;
    this.startRank = plan.startRank;
    this.beforeInitContainers = plan.beforeInitContainers;
    this.appContainerNames = plan.appContainerNames;
    this.shutdownBudget = plan.shutdownBudget;
    this.preStopBudget = plan.preStopBudget;
    this._ports = plan.ports;
    this._appPorts = plan.appPorts;
    this.metrics = plan.metrics;
    this.gatesStartup = plan.gatesStartup;
    this.stopsWithApp = plan.stopsWithApp;

    const initContainers = workload.initContainers;
    const containers = workload.containers;
    for (const n of plan.containerNames) {
      if (initContainers.some(c => c.name === n) || containers.some(c => c.name === n)) {
        fail('CONTAINER_NAME_TAKEN', `the pod already has a container named '${n}'`, 'give this sidecar another name with the \'name\' prop');
      }
    }

    // Companions first: they run once, right before the sidecar. Each container gets its
    // own copy of the variables: cdk8s-plus keeps the object it is given and adds to it
    // (`container.env.addVariable`), and the plan is shared.
    this.companions = plan.companions.map(c => workload.addInitContainer(withOwnEnv(c)));
    const containerProps = withOwnEnv(plan.container);
    this.container = this.placement === SidecarPlacement.CONTAINER
      ? workload.addContainer(containerProps)
      : workload.addInitContainer(containerProps);

    PodSidecars.of(workload)._register(this);

    for (const w of plan.writable) this.addVolume({ name: w.name, source: w.source, path: w.path });

    // Config files: a ConfigMap in the workload's namespace, and a rollout on change.
    const config = plan.config;
    if (config !== undefined) {
      // The ConfigMap lives where the pod does: the workload's namespace, or none when the
      // workload has none (not the namespace of the chart the sidecar was created in).
      this.configMap = new kplus.ConfigMap(this, 'Resource', {
        metadata: { namespace: workload.metadata.namespace },
        data: { ...config.files },
      });
      keepWithWorkload(this.configMap, workload);
      // cdk8s leaves out a map of only empty strings: files that are all empty still exist.
      if (config.allEmpty) {
        ApiObject.of(this.configMap).addJsonPatch(JsonPatch.add('/data', { ...config.files }));
      }
      this.configDigest = config.digest;
      this.addVolume({
        name: config.volumeName,
        source: SidecarVolumeSource._ownConfigMap(this.configMap),
        path: config.dir,
        readOnly: true,
      });
    }
    const podMetadata = workload.podMetadata;
    for (const [key, value] of plan.podAnnotations) podMetadata.addAnnotation(key, value);
    if (this.configDigest !== undefined) podMetadata.addAnnotation(`config.cdk8s-sidecars.io/${name}`, this.configDigest);
    for (const [key, value] of plan.podLabels) podMetadata.addLabel(key, value);

    for (const volume of props.volumes ?? []) this.addVolume(volume);
    for (const [variable, value] of plan.appEnv) this.appEnv.set(variable, value);
  }

  /** The container name. */
  public get name(): string {
    return this.container.name;
  }

  /**
   * Adds a volume to the sidecar (and its companions), and to the app containers when
   * it has an `appPath`. The pod's volume registry refuses a name another volume of
   * the pod has, unless both allow reuse.
   *
   * @returns the volume actually mounted (the pod's own, for a reused name)
   */
  public addVolume(declaration: SidecarVolume): kplus.Volume {
    const fail = this.checks.fail;
    this.checks.dnsLabel('volumes.name', declaration.name);
    this.checks.absolutePath('volumes.path', declaration.path);
    if (declaration.appPath !== undefined) this.checks.absolutePath('volumes.appPath', declaration.appPath);
    if (declaration.writers !== undefined) this.checks.oneOf('volumes.writers', declaration.writers, SidecarVolumeWriters, 'SidecarVolumeWriters');
    const problem = declaration.source._problem;
    if (problem !== undefined) fail(problem.code, `volume '${declaration.name}': ${problem.problem}`, problem.fix);
    // A pod mounts ConfigMaps and Secrets of its own namespace only: another one would leave
    // it waiting for the volume.
    const objectNamespace = declaration.source._namespace;
    const podNamespace = this.workload.metadata.namespace;
    if (objectNamespace !== undefined && (objectNamespace ?? undefined) !== podNamespace) {
      const words = (ns: string | null | undefined) => (ns === undefined || ns === null ? 'no namespace' : `namespace '${ns}'`);
      fail('VOLUME_NAMESPACE_MISMATCH', `volume '${declaration.name}': ${declaration.source._object} is in ${words(objectNamespace)}, the workload in ${words(podNamespace)}`,
        'use a ConfigMap or Secret of the workload\'s namespace (a pod can mount no other)');
    }
    const given = declaration.source._volume;
    if (given !== undefined && given.name !== declaration.name) {
      fail('VOLUME_NAME_MISMATCH', `volume '${given.name}' is declared with the name '${declaration.name}'`, 'give the declaration the volume\'s own name');
    }
    const pod = PodSidecars.of(this.workload);
    pod._changed();
    const volume = pod._volumes.register(this, declaration,
      () => declaration.source._create(this, `Volume-${declaration.name}`, declaration.name));
    // A memory-backed emptyDir without a limit can fill the node's memory.
    if (unboundedMemory(volume)) {
      fail('VOLUME_UNBOUNDED', `volume '${volume.name}' is a memory-backed emptyDir without a size limit`, 'give it a size limit');
    }
    const readOnly = declaration.readOnly ?? false;
    mount(this.container, declaration.path, volume, readOnly, fail);
    for (const c of this.companions) mount(c, declaration.path, volume, readOnly, fail);
    this._volumes.push({ volume, declaration });
    if (declaration.appPath !== undefined) {
      this.appMounts.push({ path: declaration.appPath, volume, readOnly: declaration.appReadOnly ?? false });
    }
    return volume;
  }

  /**
   * Sets an environment variable on the app containers (for example the address
   * of the sidecar). A variable the app container already sets is left alone.
   */
  public addAppEnvVariable(name: string, value: kplus.EnvValue): void {
    this.checks.envName('appEnvVariables', name);
    PodSidecars.of(this.workload)._changed();
    this.appEnv.set(name, value);
  }

  /** @internal */
  public get _appContainerNames(): readonly string[] | undefined {
    return this.appContainerNames;
  }

  /** @internal */
  public get _appMounts(): readonly AppMount[] {
    return this.appMounts;
  }

  /** Variables for the app containers, in the order set. @internal */
  public get _appEnv(): ReadonlyMap<string, kplus.EnvValue> {
    return this.appEnv;
  }
}

// On the prototype, not on each instance: `isSidecar` reads it through `in`.
Object.defineProperty(Sidecar.prototype, SIDECAR, { value: true });

/** What a sidecar's props decide apart from its workload (see `sharedPlan`). */
interface SidecarPlan {
  /** The container names: the sidecar's, then its companions'. */
  readonly containerNames: string[];
  readonly mode: SidecarMode;
  readonly placement: SidecarPlacement;
  readonly profile: SidecarProfile;
  readonly kind: string;
  readonly alertPack?: AlertPack;
  readonly dashboardPack?: DashboardPack;
  readonly startRank: number;
  readonly beforeInitContainers: boolean;
  readonly appContainerNames?: string[];
  readonly shutdownBudget: Duration;
  readonly preStopBudget: Duration;
  readonly ports: SidecarPort[];
  readonly appPorts: SidecarAppPort[];
  readonly metrics?: SidecarMetricsEndpoint;
  readonly gatesStartup: boolean;
  readonly stopsWithApp: boolean;
  /** The containers' props; `withOwnEnv` gives each container its own variables. */
  readonly companions: kplus.ContainerProps[];
  readonly container: kplus.ContainerProps;
  readonly writable: Array<{ readonly name: string; readonly path: string; readonly source: SidecarVolumeSource }>;
  readonly config?: {
    readonly files: { [name: string]: string };
    readonly dir: string;
    readonly volumeName: string;
    readonly digest: string;
    readonly allEmpty: boolean;
  };
  /** The spec's pod annotations, less the config digest's (the sidecar's own comes last). */
  readonly podAnnotations: Array<[string, string]>;
  readonly podLabels: Array<[string, string]>;
  readonly appEnv: Array<[string, kplus.EnvValue]>;
}

/** The plan of `props` for a sidecar named `name` on `workload`, every check of the props included. */
function planOf(props: SidecarProps, name: string, workload: kplus.AbstractPod, sidecar: Sidecar, checks: Checks): SidecarPlan {
  const fail = checks.fail;
  const companions = props.companions ?? [];
  const containerNames = [name, ...companions.map(c => c.name)];
  for (const n of containerNames) {
    if (!isDnsLabel(n)) {
      fail('CONTAINER_NAME_INVALID', `'${n}' is not a valid container name`, 'use a DNS label: lower-case letters, digits and \'-\', at most 63 characters, set with the \'name\' prop');
    }
  }
  checks.image(props.image);

  const mode = checks.oneOf('mode', props.mode ?? Sidecar.defaultModeOf(sidecar), SidecarMode, 'SidecarMode');
  let placement: SidecarPlacement;
  if (props.runOnce) {
    placement = SidecarPlacement.INIT_CONTAINER;
  } else if (mode === SidecarMode.NATIVE) {
    placement = SidecarPlacement.NATIVE_SIDECAR;
  } else if (props.legacyJobInitContainer && runsToCompletion(workload)) {
    placement = SidecarPlacement.INIT_CONTAINER;
  } else {
    placement = SidecarPlacement.CONTAINER;
  }

  const profile = props.profile ?? SidecarProfile.DATA_SYNC;
  const startRank = props.startRank ?? profile.startRank;
  if (typeof startRank !== 'number' || !Number.isFinite(startRank)) {
    fail('START_RANK_INVALID', `start rank ${startRank} is not a number`, 'pass a finite number as \'startRank\' (100 log collectors, 200 secret injectors, 300 proxies, 400 others)');
  }
  const shutdownBudget = Duration.seconds(checks.seconds('shutdownBudget', props.shutdownBudget ?? Duration.seconds(0)));
  const preStopBudget = Duration.seconds(checks.seconds('preStopBudget', props.preStopBudget ?? Duration.seconds(0)));

  const resources = checks.resources(profile.resources(props.resources));

  const ports = props.ports ?? [];
  checkPorts(ports, checks);
  const appPorts = (props.appPorts ?? []).map(p => ({ number: checks.port(p.prop, p.number), prop: p.prop }));
  checkEnvNames(props, checks);

  let metrics: SidecarMetricsEndpoint | undefined;
  if (props.metrics !== undefined) {
    const { portName, path = '/metrics' } = props.metrics;
    if (!ports.some(p => p.name === portName)) {
      fail('METRICS_PORT_UNKNOWN', `the metrics port '${portName}' is not one of the sidecar's named ports`, 'name the port that serves the metrics in \'ports\' and pass that name as \'metrics.portName\'');
    }
    if (!path.startsWith('/') || /\s/.test(path)) {
      fail('METRICS_PATH_INVALID', `metrics path '${path}' is not an absolute URL path`, 'pass a path such as \'/metrics\'');
    }
    metrics = { portName, path };
  }

  // The image's own identity, unless the user chose another; the gid never follows the uid.
  const user = props.user ?? props.imageUser ?? NONROOT;
  const group = props.group ?? props.imageGroup ?? NONROOT;
  checks.identity(user, group);

  const native = placement === SidecarPlacement.NATIVE_SIDECAR;
  const runsOnce = placement === SidecarPlacement.INIT_CONTAINER;
  if (props.preStop !== undefined && props.stopWithAppCommand !== undefined) {
    fail('PRE_STOP_CONFLICT', '\'preStop\' and \'stopWithAppCommand\' are both set, and a container has one preStop hook',
      'keep \'stopWithAppCommand\' for a sidecar the app does not need while it stops, or \'preStop\' (a drain) for one it does');
  }
  // The startup command is the postStart hook in both modes (a run-once init container has no hooks);
  // in NATIVE mode it is the gate instead of the startup probe.
  const startCommand = runsOnce ? undefined : props.startupCommand;
  // NATIVE only: the preStop hook that stops the tool with the app.
  const stopWithApp = native ? props.stopWithAppCommand : undefined;
  const preStop = stopWithApp !== undefined ? kplus.Handler.fromCommand(stopWithApp) : props.preStop;

  const common = {
    image: props.image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
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
  };
  // Object.assign, not `{ ...common, name }`: V8 (Node.js 20) adds each property after a
  // spread on a slow path, about 0.5 µs each (docs/benchmark.md).
  const companionProps = companions.map(c => Object.assign({}, common, {
    name: c.name,
    command: c.command ?? props.command,
    args: c.args ?? props.args,
  }));
  const container: kplus.ContainerProps = Object.assign({}, common, {
    name,
    command: props.command,
    args: props.args,
    ports: ports.map(p => ({ number: p.number, name: p.name, protocol: p.protocol })),
    // An init container that runs once may have neither probes nor lifecycle hooks.
    startup: runsOnce || (native && startCommand !== undefined) ? undefined : props.startup,
    readiness: runsOnce ? undefined : props.readiness,
    liveness: runsOnce ? undefined : props.liveness,
    lifecycle: runsOnce || (!startCommand && !preStop) ? undefined : {
      postStart: startCommand ? kplus.Handler.fromCommand(startCommand) : undefined,
      preStop,
    },
    restartPolicy: native ? kplus.ContainerRestartPolicy.ALWAYS : undefined,
  });

  // Writable paths: private emptyDirs, one per path, named after the sidecar.
  const files = props.configFiles ?? {};
  const hasFiles = Object.keys(files).length > 0;
  const configVolumeName = dnsLabelFrom(name, 'config');
  // The config volume's name is taken first, so a writable '/config' gets another.
  const writableNames = new Set<string>(hasFiles ? [configVolumeName] : []);
  const writable: Array<{ name: string; path: string; source: SidecarVolumeSource }> = [];
  for (const path of props.writablePaths ?? []) {
    checks.absolutePath('writablePaths', path);
    let volumeName = dnsLabelFrom(name, path);
    for (let n = 2; writableNames.has(volumeName); n++) volumeName = dnsLabelFrom(volumeName.slice(0, 58), String(n));
    writableNames.add(volumeName);
    writable.push({ name: volumeName, path, source: SidecarVolumeSource.emptyDir({ sizeLimit: props.writableSizeLimit ?? Size.mebibytes(64) }) });
  }

  let config: SidecarPlan['config'];
  if (hasFiles) {
    const dir = checks.absolutePath('configDir', props.configDir ?? `/etc/${name}`);
    checkConfigFiles(files, fail);
    config = {
      files: { ...files },
      dir,
      volumeName: configVolumeName,
      digest: digestOf(files),
      allEmpty: Object.values(files).every(text => text === ''),
    };
  }
  checkPodMetadata(props, fail);
  // The key's name part is the container name, a DNS label: always a valid key.
  const podAnnotations = Object.entries(props.podAnnotations ?? {})
    .filter(([key]) => key !== `config.cdk8s-sidecars.io/${name}` || config === undefined);

  return {
    containerNames,
    mode,
    placement,
    profile,
    kind: props.kind ?? 'generic',
    alertPack: props.alertPack,
    dashboardPack: props.dashboardPack,
    startRank,
    beforeInitContainers: props.beforeInitContainers ?? true,
    appContainerNames: props.appContainers ? [...props.appContainers] : undefined,
    shutdownBudget,
    preStopBudget,
    ports: ports.map(p => Object.assign({}, p, { prop: p.prop ?? p.name })),
    appPorts,
    metrics,
    gatesStartup: native ? props.startup !== undefined || startCommand !== undefined : startCommand !== undefined,
    stopsWithApp: stopWithApp !== undefined,
    companions: companionProps,
    container,
    writable,
    config,
    podAnnotations,
    podLabels: Object.entries(props.podLabels ?? {}),
    appEnv: Object.entries(props.appEnvVariables ?? {}),
  };
}

/** `props` with a copy of their variables, for one container. */
function withOwnEnv(props: kplus.ContainerProps): kplus.ContainerProps {
  const env = props.envVariables;
  return env === undefined ? props : Object.assign({}, props, { envVariables: { ...env } });
}

// The checks that read the props alone: run once per plan (see `planOf`).

/** The spec's ports: valid numbers and names, none listed twice. */
function checkPorts(ports: SidecarPort[], checks: Checks): void {
  const fail = checks.fail;
  ports.forEach((port, i) => {
    const prop = port.prop ?? port.name ?? 'ports';
    checks.port(prop, port.number);
    if (port.name !== undefined && !isPortName(port.name)) {
      fail('PORT_NAME_INVALID', `port name '${port.name}' is not valid`, 'use at most 15 lower-case letters, digits and single \'-\', with at least one letter');
    }
    const other = ports.slice(0, i).find(p => portKey(p) === portKey(port));
    if (other !== undefined) {
      const props2 = [other.prop ?? other.name, port.prop ?? port.name].filter(p => p !== undefined);
      fail('PORT_DUPLICATE', `port ${portKey(port)} is listed twice${props2.length === 2 ? ` ('${props2[0]}' and '${props2[1]}')` : ''}`,
        props2.length === 2 ? `give '${props2[0]}' and '${props2[1]}' different port numbers` : 'list each port of the sidecar once');
    }
    if (port.name !== undefined && ports.slice(0, i).some(p => p.name === port.name)) {
      fail('PORT_DUPLICATE', `two ports are named '${port.name}'`, 'give each port of the sidecar its own name');
    }
  });
}

/** The spec's environment variable names. */
function checkEnvNames(props: SidecarSpec, checks: Checks): void {
  for (const variable of Object.keys(props.envVariables ?? {})) checks.envName('envVariables', variable);
  for (const variable of Object.keys(props.appEnvVariables ?? {})) checks.envName('appEnvVariables', variable);
}

/** The spec's config files: ConfigMap keys with text content. */
function checkConfigFiles(files: { [name: string]: string }, fail: Fail): void {
  for (const [file, content] of Object.entries(files)) {
    // A ConfigMap key (validation.IsConfigMapKey): the API server refuses others.
    if (!isConfigMapKey(file)) {
      fail('CONFIG_FILE_INVALID', `config file name ${JSON.stringify(file)} in 'configFiles' is not a ConfigMap key`, 'name each file with letters, digits, \'-\', \'_\' and \'.\' (no \'/\'), at most 253 characters');
    }
    if (typeof content !== 'string') {
      fail('CONFIG_FILE_INVALID', `config file '${file}' in 'configFiles' has no text content`, 'pass each file\'s content as a string');
    }
  }
}

/** The spec's pod labels and annotations: valid keys, string values, valid label values. */
function checkPodMetadata(props: SidecarSpec, fail: Fail): void {
  for (const [key, value] of [...Object.entries(props.podAnnotations ?? {}), ...Object.entries(props.podLabels ?? {})]) {
    if (!isQualifiedName(key)) {
      fail('POD_METADATA_INVALID', `pod label or annotation key ${JSON.stringify(key)} is not a valid key`, 'use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\'');
    }
    if (typeof value !== 'string') {
      fail('POD_METADATA_INVALID', `pod label or annotation '${key}' has no string value`, 'pass a string');
    }
  }
  for (const [key, value] of Object.entries(props.podLabels ?? {})) {
    if (!isLabelValue(value)) {
      fail('POD_METADATA_INVALID', `pod label '${key}' has the value ${JSON.stringify(value)}, which is not a valid label value`, 'use at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
    }
  }
}

/** Mounts `volume` at `path`, refusing a second volume at a path the container already mounts. */
function mount(container: kplus.Container, path: string, volume: kplus.Volume, readOnly: boolean, fail: Fail) {
  const clash = container.mounts.find(m => m.path === path);
  if (clash !== undefined) {
    fail('MOUNT_PATH_TAKEN', `container '${container.name}' would mount both '${clash.volume.name}' and '${volume.name}' at '${path}'`, 'mount each volume at its own path (change the sidecar\'s path props)');
  }
  container.mount(path, volume, { readOnly });
}

/** The digest of config files: each name and content, NUL-terminated, by name; computed once per distinct input. */
function digestOf(files: { [name: string]: string }): string {
  const input = Object.keys(files).sort().map(name => `${name}\0${files[name]}\0`).join('');
  return ROLLOUT_DIGESTS.get(input, () => createHash('sha256').update(input).digest('hex').slice(0, 16));
}
