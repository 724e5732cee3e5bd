import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { applyContainerOrder, podSpecPointer, runsToCompletion } from './_pod';
import { portKey, sidecarError, wholeSeconds } from './_util';
import type { Sidecar } from './sidecar';
import { SidecarPlacement } from './sidecar';

const ID = 'Sidecars';

/**
 * The sidecars of one pod, and what they decide together: the start order, the
 * app containers' shared volumes and environment, the termination grace period,
 * and the pod-wide checks (names, ports, modes, mounts).
 *
 * Created on demand by the first sidecar attached to a workload; reach it with
 * `PodSidecars.of(workload)`.
 *
 * Start order, applied when the app is synthesized, whatever order the sidecars
 * were attached in: sidecars by start rank (log collectors 100, secret injectors
 * 200, proxies 300, the rest 400; ties in attach order), before the workload's own
 * init containers unless a sidecar asks to start after them. LEGACY sidecars come
 * first in the container list, in the same order, ahead of the app.
 *
 * Shutdown: native sidecars stop after the app, in reverse start order. The pod's
 * terminationGracePeriodSeconds becomes the app's own shutdown time (the workload's
 * terminationGracePeriod, 30s by default) plus every sidecar's shutdown budget.
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

  private readonly registered: Sidecar[] = [];
  private readonly shared = new Map<string, kplus.Volume>();
  private appShutdownOverride?: Duration;
  private gracePeriodLimit?: Duration;
  private patchedGracePeriod?: number;

  private constructor(workload: kplus.AbstractPod) {
    super(workload, ID);
    this.workload = workload;
    // cdk8s has no "prepare" phase; validation runs, for the whole app, before any
    // object renders (App.synth, Chart.toJson, Testing.synth). It is the one point
    // where every container of the pod is known, so the pod is arranged here.
    this.node.addValidation({ validate: () => this.arrange() });
  }

  /**
   * The sidecars, in start order.
   */
  public get sidecars(): Sidecar[] {
    return this.inStartOrder();
  }

  /**
   * The pod's app containers: every container that is not a sidecar.
   */
  public get appContainers(): kplus.Container[] {
    return this.notSidecars(this.workload.containers);
  }

  /**
   * The workload's own init containers: every init container that is not a sidecar.
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
   * The termination grace period the pod gets: the app's shutdown time plus the
   * shutdown budget of every sidecar that runs alongside the app.
   */
  public get terminationGracePeriod(): Duration {
    return Duration.seconds(this.requiredSeconds().total);
  }

  /**
   * Declares how long the app itself needs to stop, instead of the workload's
   * terminationGracePeriod.
   */
  public declareAppShutdown(duration: Duration): void {
    this.appShutdownOverride = Duration.seconds(this.wholeSeconds(duration, 'declareAppShutdown'));
  }

  /**
   * Caps the pod's termination grace period: synthesis fails, naming the numbers,
   * when the app and the sidecars need more.
   */
  public limitTerminationGracePeriod(limit: Duration): void {
    this.gracePeriodLimit = Duration.seconds(this.wholeSeconds(limit, 'limitTerminationGracePeriod'));
  }

  /** @internal */
  public _register(sidecar: Sidecar): void {
    this.registered.push(sidecar);
  }

  /**
   * Returns the pod's volume named like `volume` (adding `volume` to the pod when
   * there is none), and remembers it as shared content that must see updates.
   *
   * @internal
   */
  public _shareVolume(volume: kplus.Volume): kplus.Volume {
    const existing = this.shared.get(volume.name) ?? this.podVolumes().get(volume.name);
    if (existing !== undefined) {
      this.shared.set(volume.name, existing);
      return existing;
    }
    // No volume of this name is in the pod (checked above), so cdk8s-plus accepts it.
    this.workload.addVolume(volume);
    this.shared.set(volume.name, volume);
    return volume;
  }

  private notSidecars(containers: kplus.Container[]): kplus.Container[] {
    const ours = new Set(this.registered.map(s => s.container));
    return containers.filter(c => !ours.has(c));
  }

  private inStartOrder(): Sidecar[] {
    const index = new Map(this.registered.map((s, i) => [s, i]));
    return [...this.registered].sort((a, b) => (a.startRank - b.startRank) || (index.get(a)! - index.get(b)!));
  }

  private podVolumes(): Map<string, kplus.Volume> {
    const volumes = new Map<string, kplus.Volume>();
    for (const v of this.workload.volumes) volumes.set(v.name, v);
    for (const c of [...this.workload.initContainers, ...this.workload.containers]) {
      for (const m of c.mounts) {
        if (!volumes.has(m.volume.name)) volumes.set(m.volume.name, m.volume);
      }
    }
    return volumes;
  }

  private wholeSeconds(duration: Duration, method: string): number {
    const seconds = wholeSeconds(duration);
    if (seconds === undefined) {
      throw new Error(sidecarError(this.workload, undefined, `${method}() needs a whole, non-negative number of seconds`, 'pass e.g. Duration.seconds(30)'));
    }
    return seconds;
  }

  private requiredSeconds() {
    const app = this.appShutdown.toSeconds();
    const parts = this.inStartOrder()
      .filter(s => s.placement !== SidecarPlacement.INIT_CONTAINER)
      .map(s => ({ name: s.name, seconds: s.shutdownBudget.toSeconds() }))
      .filter(p => p.seconds > 0);
    return { app, parts, total: parts.reduce((sum, p) => sum + p.seconds, app) };
  }

  private arrange(): string[] {
    const errors: string[] = [];
    const w = this.workload;
    const fail = (sidecar: string | undefined, problem: string, fix: string) => errors.push(sidecarError(w, sidecar, problem, fix));

    const pointer = podSpecPointer(w);
    if (pointer === undefined) {
      fail(undefined, `${w.constructor.name} is not a workload cdk8s-sidecars knows`, 'attach sidecars to a kplus Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod');
    }

    // Modes: a legacy sidecar never exits, so a pod that should finish never does.
    if (runsToCompletion(w)) {
      for (const s of this.registered.filter(x => x.placement === SidecarPlacement.CONTAINER)) {
        fail(s.name, `a LEGACY sidecar is an ordinary container that never exits, and ${completionNoun(w)} completes only when all its containers have exited, so it would never complete`,
          'use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar');
      }
    }

    // App containers: shared volumes and environment. The workload's own init
    // containers get them too from every sidecar that is already running (or has run)
    // when they start, so a migration init container has its logs, secrets and proxy.
    const apps = this.appContainers;
    if (apps.length === 0) {
      fail(undefined, 'the pod has sidecars but no app container', 'add the app\'s container to the workload (containers: [...])');
    }
    const ownInits = this.ownInitContainers;
    for (const s of this.registered) {
      const names = s._appContainerNames;
      const before = s.placement !== SidecarPlacement.CONTAINER && s.beforeInitContainers;
      const eligible = before ? [...apps, ...ownInits] : apps;
      const targets = names === undefined ? eligible : names.map(n => eligible.find(c => c.name === n));
      names?.forEach((n, i) => {
        if (targets[i] !== undefined) return;
        const own = ownInits.find(c => c.name === n);
        const problem = own !== undefined
          ? `'appContainers' names init container '${n}', which starts before this sidecar runs (a ${s.placement === SidecarPlacement.CONTAINER ? 'LEGACY sidecar starts after all init containers' : 'sidecar with beforeInitContainers: false starts after them'})`
          : `'appContainers' names '${n}', which is not an app container of the pod (app containers: ${eligible.map(c => `'${c.name}'`).join(', ') || 'none'})`;
        const fix = own !== undefined
          ? 'serve that init container from a sidecar that starts before it, or leave it out of \'appContainers\''
          : 'name an existing app container, or leave \'appContainers\' unset to serve them all';
        fail(s.name, problem, fix);
      });
      for (const c of targets) {
        if (c === undefined) continue;
        for (const m of s._appMounts) {
          const existing = c.mounts.find(x => x.path === m.path);
          if (existing === undefined) {
            c.mount(m.path, m.volume, { readOnly: m.readOnly });
          } else if (existing.volume !== m.volume) {
            fail(s.name, `container '${c.name}' already mounts volume '${existing.volume.name}' at '${m.path}', where this sidecar shares '${m.volume.name}'`, 'mount the app\'s volume elsewhere, or set this sidecar\'s app path to a free one');
          }
        }
        for (const [name, value] of Object.entries(s._appEnv)) {
          if (c.env.variables[name] === undefined) {
            c.env.addVariable(name, value);
          }
        }
      }
    }

    // Start order.
    const ordered = this.inStartOrder();
    const ours = new Set(ordered.map(s => s.container));
    const inInit = ordered.filter(s => s.placement !== SidecarPlacement.CONTAINER);
    applyContainerOrder(w,
      [
        ...inInit.filter(s => s.beforeInitContainers).map(s => s.container),
        ...ownInits,
        ...inInit.filter(s => !s.beforeInitContainers).map(s => s.container),
      ],
      [
        ...ordered.filter(s => s.placement === SidecarPlacement.CONTAINER).map(s => s.container),
        ...apps,
      ],
    );

    // Names: unique across init and main containers.
    const byName = new Map<string, number>();
    for (const c of [...w.initContainers, ...w.containers]) byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
    for (const [name, count] of byName) {
      if (count > 1) {
        const sidecar = this.registered.find(s => s.name === name);
        fail(sidecar?.name, `${count} containers of the pod are named '${name}'`, 'give every container (init containers included) its own name');
      }
    }

    // Ports: containers that run together share one network namespace.
    const running = [
      ...ordered.filter(s => s.placement === SidecarPlacement.NATIVE_SIDECAR).map(s => s.container),
      ...w.containers,
    ];
    const seen = new Map<string, kplus.Container>();
    for (const c of running) {
      for (const p of c.ports) {
        const key = portKey(p);
        const other = seen.get(key);
        if (other === undefined) {
          seen.set(key, c);
          continue;
        }
        if (!ours.has(c) && !ours.has(other)) continue;
        const [sidecar, peer] = ours.has(c) ? [c, other] : [other, c];
        fail(sidecar.name, `port ${key} is also used by container '${peer.name}' (containers of a pod share one network namespace)`, `move one of them to a free port (set this sidecar's port props, or the port of '${peer.name}')`);
      }
    }

    // Volumes: one volume per name, and no subPath on content that must see updates.
    // The pod's volume of each name is the first one seen (pod volumes, then mounts).
    const volumes = this.podVolumes();
    const mountedBy = new Map<string, string>();
    const clashes = new Set<string>();
    for (const c of [...w.initContainers, ...w.containers]) {
      for (const m of c.mounts) {
        const v = volumes.get(m.volume.name);
        if (v !== m.volume) {
          if (this.shared.has(m.volume.name)) {
            fail(undefined, `container '${c.name}' mounts a second volume named '${m.volume.name}', a name a sidecar shares`, `mount the pod's existing '${m.volume.name}' volume, or give the other volume another name`);
          } else if (!clashes.has(m.volume.name)) {
            // cdk8s-plus would fail to render the pod: two volumes with one name.
            clashes.add(m.volume.name);
            const other = mountedBy.get(m.volume.name);
            fail(ours.has(c) ? c.name : undefined, `container '${c.name}' mounts a volume named '${m.volume.name}', and ${other === undefined ? 'the pod has' : `container '${other}' mounts`} a different volume of that name`,
              'give one of the volumes another name (a sidecar names its own volumes after its container name, set with its \'name\' prop)');
          }
        }
        if (!mountedBy.has(m.volume.name)) mountedBy.set(m.volume.name, c.name);
        if ((m.subPath !== undefined || m.subPathExpr !== undefined) && this.shared.has(m.volume.name)) {
          fail(undefined, `container '${c.name}' mounts shared volume '${m.volume.name}' with a subPath, and subPath mounts never see updates`, 'mount the whole volume (no subPath) at a directory of its own');
        }
      }
    }

    // Shutdown budget.
    const need = this.requiredSeconds();
    const sum = [`app ${need.app}s`, ...need.parts.map(p => `${p.name} ${p.seconds}s`)].join(' + ');
    const limit = this.gracePeriodLimit?.toSeconds();
    if (limit !== undefined && need.total > limit) {
      fail(undefined, `terminationGracePeriodSeconds is limited to ${limit}s, but the pod needs ${need.total}s (${sum})`,
        `raise the limit to at least ${need.total}s, lower the app's shutdown time, or lower the sidecars' shutdown budgets`);
    }
    if (pointer !== undefined && need.total !== (this.patchedGracePeriod ?? w.terminationGracePeriod?.toSeconds())) {
      ApiObject.of(w).addJsonPatch(JsonPatch.add(`${pointer}/terminationGracePeriodSeconds`, need.total));
      this.patchedGracePeriod = need.total;
    }

    return errors;
  }
}

function completionNoun(w: kplus.AbstractPod): string {
  if (w instanceof kplus.CronJob) return 'a CronJob\'s Job';
  if (w instanceof kplus.Job) return 'a Job';
  return `a pod with restartPolicy ${w.restartPolicy}`;
}
