import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AppMount } from './_internal';
import { applyContainerOrder, podSpecPointer, restoreStatefulSetVolumes } from './_pod';
import { Checks } from './checks';
import { failFor, workloadSubject } from './errors';
import { POD_RULES } from './rules';
import { claims } from './rules/claims';
import { planShutdown, ShutdownPlan } from './rules/grace-period';
import { podContainers, PodView, Served } from './rules/rule';
import type { Sidecar } from './sidecar';
import { SidecarPlacement } from './sidecar';
import { VolumeRegistry } from './volume-registry';

const ID = 'Sidecars';

/**
 * The sidecars of one pod, and what they decide together: the start order, the
 * app containers' shared volumes and environment, the pod's volumes, the termination
 * grace period, and the pod-wide rules (names, ports, modes, mounts, writers).
 *
 * Created on demand by the first sidecar attached to a workload; reach it with
 * `PodSidecars.of(workload)`.
 *
 * Start order, applied when the app is synthesized, whatever order the sidecars
 * were attached in: sidecars by start rank (log collectors 100, secret injectors
 * 200, proxies 300, the rest 400; ties in attach order), each after its companions,
 * before the workload's own init containers unless a sidecar asks to start after them.
 * LEGACY sidecars come first in the container list, in the same order, ahead of the app.
 *
 * Shutdown, in the kubelet's order: every preStop hook starts at once, in parallel with
 * the app's own stop; LEGACY sidecars stop with the app; native sidecars get SIGTERM
 * after the app, in reverse start order, except those that stop with the app (a
 * `stopWithAppCommand`: their preStop hook stops them). The pod's
 * terminationGracePeriodSeconds is the longest of the app's own shutdown time (the
 * workload's terminationGracePeriod, 30s by default) plus the LEGACY budgets, every
 * preStop budget and every stop-with-app budget; plus the other native sidecars'
 * shutdown budgets, one after another.
 */
export class PodSidecars extends Construct {
  /**
   * The sidecars of `workload` (created the first time it is asked for).
   */
  public static of(workload: kplus.AbstractPod): PodSidecars {
    const existing = workload.node.tryFindChild(ID);
    if (existing !== undefined) {
      return existing as PodSidecars;
    }
    return new PodSidecars(workload);
  }

  /** The workload. */
  public readonly workload: kplus.AbstractPod;

  /**
   * The pod's volume registry.
   *
   * @internal
   */
  public readonly _volumes: VolumeRegistry;

  private readonly registered: Sidecar[] = [];
  /** The containers of the registered sidecars and their companions. */
  private readonly sidecarContainers = new Set<kplus.Container>();
  private readonly claimed: Array<{ key: string; by: string; what: string }> = [];
  private appShutdownOverride?: Duration;
  private gracePeriodLimit?: Duration;
  private patchedGracePeriod?: number;
  private volumesRestored = false;
  /** Bumped by every change made through this library (see `_changed`). */
  private version = 0;
  /** The last validation: the pod's state right after it, and its errors. */
  private validated?: { readonly stamp: string; readonly errors: string[] };

  private constructor(workload: kplus.AbstractPod) {
    super(workload, ID);
    this.workload = workload;
    this._volumes = new VolumeRegistry(workload);
    // cdk8s has no "prepare" phase; validation runs, for the whole app, before any
    // object renders (App.synth, Chart.toJson, Testing.synth). It is the one point
    // where every container of the pod is known: the pod is arranged, then the read-only
    // pod rules run. cdk8s validates the whole app once more for every chart it
    // renders; a pod unchanged since its last validation keeps that result.
    this.node.addValidation({
      validate: () => this.validated !== undefined && this.validated.stamp === this.stamp() ? this.validated.errors : this.revalidate(),
    });
  }

  /**
   * The sidecars, in start order.
   */
  public get sidecars(): Sidecar[] {
    return this.inStartOrder();
  }

  /**
   * The pod's app containers: every container that is not a sidecar's.
   */
  public get appContainers(): kplus.Container[] {
    return this.notSidecars(this.workload.containers);
  }

  /**
   * The workload's own init containers: every init container that is not a sidecar's.
   */
  public get ownInitContainers(): kplus.Container[] {
    return this.notSidecars(this.workload.initContainers);
  }

  /**
   * The app's own shutdown time.
   *
   * @default - the workload's terminationGracePeriod (30 seconds unless set)
   */
  public get appShutdown(): Duration {
    return this.appShutdownOverride ?? this.workload.terminationGracePeriod ?? Duration.seconds(30);
  }

  /**
   * The termination grace period the pod gets: the longest of the app's shutdown time
   * (plus the LEGACY sidecars' budgets), every preStop budget and the budgets of the
   * sidecars that stop with the app, plus the other native sidecars' shutdown budgets.
   */
  public get terminationGracePeriod(): Duration {
    return Duration.seconds(this.shutdownNeed().total);
  }

  /**
   * Declares how long the app itself needs to stop, instead of the workload's
   * terminationGracePeriod.
   */
  public declareAppShutdown(duration: Duration): void {
    this.version++;
    this.appShutdownOverride = Duration.seconds(this.checks().seconds('declareAppShutdown', duration));
  }

  /**
   * Caps the pod's termination grace period: synthesis fails, naming the numbers,
   * when the app and the sidecars need more.
   */
  public limitTerminationGracePeriod(limit: Duration): void {
    this.version++;
    this.gracePeriodLimit = Duration.seconds(this.checks().seconds('limitTerminationGracePeriod', limit));
  }

  /** @internal */
  public _register(sidecar: Sidecar): void {
    this.version++;
    this.registered.push(sidecar);
    this.sidecarContainers.add(sidecar.container);
    for (const c of sidecar.companions) this.sidecarContainers.add(c);
  }

  /**
   * Records a change to a sidecar of the pod that the arrangement or the rules read
   * (a volume, an environment variable for the app).
   *
   * @internal
   */
  public _changed(): void {
    this.version++;
  }

  /**
   * Claims something only one construct per pod may do; a second claim of `key` is a
   * pod error.
   *
   * @param key what is claimed (also the name the error is about)
   * @param by who claims it, as words (`sidecar 'secrets'`)
   * @param what what it adds to the pod, as words (`a Vault Agent`)
   * @internal
   */
  public _claim(key: string, by: string, what: string): void {
    this.version++;
    this.claimed.push({ key, by, what });
  }

  private checks(): Checks {
    return new Checks(failFor(workloadSubject(this.workload)));
  }

  private notSidecars(containers: kplus.Container[]): kplus.Container[] {
    const ours = this.sidecarContainers;
    return containers.filter(c => !ours.has(c));
  }

  private inStartOrder(): Sidecar[] {
    // Array.prototype.sort is stable: ties keep the attach order.
    return [...this.registered].sort((a, b) => a.startRank - b.startRank);
  }

  /** The grace period, in the kubelet's termination order (see `planShutdown`). */
  private shutdownNeed(ordered: Sidecar[] = this.inStartOrder()): ShutdownPlan {
    return planShutdown(this.appShutdown.toSeconds(), ordered, this.gracePeriodLimit?.toSeconds());
  }

  /** The containers a sidecar serves: app containers, and own init containers that start after it. */
  private served(s: Sidecar, apps: kplus.Container[], ownInits: kplus.Container[]): Served {
    const initPhase = s.placement !== SidecarPlacement.CONTAINER || s.companions.length > 0;
    const eligible = initPhase && s.beforeInitContainers && ownInits.length > 0 ? [...apps, ...ownInits] : apps;
    const names = s._appContainerNames;
    if (names === undefined) return { targets: eligible, unknown: [], eligible };
    return {
      targets: eligible.filter(c => names.includes(c.name)),
      unknown: names.filter(n => !eligible.some(c => c.name === n)),
      eligible,
    };
  }

  /** The one step that changes the pod: shared mounts and environment, start order, grace period. */
  private arrange(): PodView {
    const w = this.workload;
    const apps = this.appContainers;
    const ownInits = this.ownInitContainers;
    const ordered = this.inStartOrder();
    const served = new Map<Sidecar, Served>();

    for (const s of ordered) {
      const view = this.served(s, apps, ownInits);
      served.set(s, view);
      for (const c of view.targets) {
        shareMounts(c, s._appMounts);
        shareEnv(c, s._appEnv);
      }
    }

    const before: kplus.Container[] = [];
    const after: kplus.Container[] = [];
    const mains: kplus.Container[] = [];
    for (const s of ordered) {
      const list = s.beforeInitContainers ? before : after;
      list.push(...s.companions);
      if (s.placement !== SidecarPlacement.CONTAINER) list.push(s.container);
      else mains.push(s.container);
    }
    applyContainerOrder(w, [...before, ...ownInits, ...after], [...mains, ...apps]);

    if (!this.volumesRestored) this.volumesRestored = restoreStatefulSetVolumes(w);

    const shutdown = this.shutdownNeed(ordered);
    const pointer = podSpecPointer(w);
    if (pointer !== undefined && shutdown.total !== (this.patchedGracePeriod ?? w.terminationGracePeriod?.toSeconds())) {
      ApiObject.of(w).addJsonPatch(JsonPatch.add(`${pointer}/terminationGracePeriodSeconds`, shutdown.total));
      this.patchedGracePeriod = shutdown.total;
    }

    // The order changed, not which containers are the app's and the workload's own.
    return this.view(served, shutdown, ordered, apps, ownInits);
  }

  private view(served: Map<Sidecar, Served>, shutdown: ShutdownPlan, ordered: Sidecar[],
    apps: kplus.Container[], ownInits: kplus.Container[]): PodView {
    return {
      workload: this.workload,
      sidecars: ordered,
      appContainers: apps,
      ownInitContainers: ownInits,
      volumes: this._volumes,
      served,
      shutdown,
      claims: [...this.claimed],
      containers: podContainers(this.workload.initContainers, this.workload.containers, ordered),
    };
  }

  /** The pod-wide rules, read-only, on the arranged pod. */
  private check(pod: PodView): string[] {
    const errors: string[] = [];
    for (const rule of POD_RULES) {
      const found = rule(pod);
      if (found.length > 0) errors.push(...found);
    }
    return errors;
  }

  /**
   * What the arrangement and the rules read and anything can still change: the changes
   * made through this library (a version), and, of cdk8s-plus's pod, the volumes and every
   * container with its mounts and ports, in order. Equal stamps: the arrangement would
   * change nothing, and the rules would find what they found.
   */
  private stamp(): string {
    const w = this.workload;
    let stamp = `${this.version} ${w.volumes.length}`;
    for (const c of w.initContainers) stamp += ` i:${c.name}:${c.mounts.length}:${c.ports.length}`;
    for (const c of w.containers) stamp += ` c:${c.name}:${c.mounts.length}:${c.ports.length}`;
    return stamp;
  }

  private revalidate(): string[] {
    const errors = this.validatePod();
    this.validated = { stamp: this.stamp(), errors };
    return errors;
  }

  /** Arranges and checks the pod; a pod with no sidecar (only claims, say) is left as it is. */
  private validatePod(): string[] {
    if (this.registered.length === 0) {
      // A volume added without a sidecar (the Vault injector's token) must survive too.
      if (!this.volumesRestored) this.volumesRestored = restoreStatefulSetVolumes(this.workload);
      return claims(this.view(new Map(), this.shutdownNeed(), [], this.appContainers, this.ownInitContainers));
    }
    return this.check(this.arrange());
  }
}

/** Mounts a sidecar's shared volumes in `container`; a path it already mounts is left alone (the rules report a clash). */
function shareMounts(container: kplus.Container, mounts: readonly AppMount[]): void {
  if (mounts.length === 0) return;
  const mounted = new Set(container.mounts.map(x => x.path));
  for (const m of mounts) {
    if (mounted.has(m.path)) continue;
    container.mount(m.path, m.volume, { readOnly: m.readOnly });
    mounted.add(m.path);
  }
}

/** Sets a sidecar's variables for the app in `container`; a variable it already has is left alone. */
function shareEnv(container: kplus.Container, env: ReadonlyMap<string, kplus.EnvValue>): void {
  if (env.size === 0) return;
  const variables = container.env.variables;
  for (const [name, value] of env) {
    if (variables[name] === undefined) container.env.addVariable(name, value);
  }
}
