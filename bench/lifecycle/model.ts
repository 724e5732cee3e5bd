/**
 * A model of the kubelet's pod lifecycle, for the lifecycle benchmark: how long a
 * pod's sidecars add to its start, its deletion and (for a Job) its completion. It
 * reads a synthesized pod spec (the manifest's JSON) and the documented process
 * times of each tool (`tools.ts`); it does not import the library.
 *
 * What it encodes, from kubernetes/kubernetes (1.33 and master):
 *
 * - **Syncs and the PLEG** (`pkg/kubelet/pleg/generic.go`, `pod_workers.go`). The
 *   kubelet sees a container change only at a PLEG relist, every `relistPeriod`
 *   (1 s), at a phase unrelated to the pod. A sync triggered by anything waits for a
 *   pod-cache entry newer than the END of the previous sync: in `podWorkerLoop`,
 *   `status, err = p.podCache.GetNewerThan(uid, lastSyncTime)`, and `lastSyncTime =
 *   p.clock.Now()` is set after `SyncPod` returns ("adds ~1s of latency"): the first
 *   relist after that end. Most syncs take no time here; one that runs a postStart
 *   hook lasts until the hook returns, and one that kills a Job's sidecars until the
 *   last has exited. The pod's first sync (t = 0) has no previous sync.
 * - **Init containers, one at a time** (`computeInitContainerActions` in
 *   `pkg/kubelet/kuberuntime/kuberuntime_container.go`). A run-once init container:
 *   the next starts at the sync after a relist saw it exit. A restartable one
 *   (`restartPolicy: Always`): the next is queued only when it is Running (seen by a
 *   relist) and, if it has a startupProbe, once that probe succeeded; without a
 *   startupProbe, Running is enough — the sync that sees it Running starts the next.
 *   The main containers start together, in one sync, once every init container is
 *   done.
 * - **postStart hooks** (`startContainer`, "Step 4: execute the post start hook"). A
 *   postStart hook runs synchronously inside the sync that started its container: of
 *   a main container, it holds the next container of the list; of a restartable init
 *   container, that sync ends when the hook returns, and the container is seen Running
 *   at the first relist after that end (the next sync's `GetNewerThan`). So a gate hook
 *   that returns before that relist costs nothing beyond the relist any sidecar costs,
 *   where a startupProbe costs its period tick and one relist more. Its duration is
 *   the tool table's `postStart` (a failing hook, which kills the container, is not
 *   modelled).
 * - **Probes** (`pkg/kubelet/prober/worker.go`, `kubelet.go`). Each probe worker is
 *   created when the pod is added (t = 0) and probes at once, then on a ticker of
 *   `periodSeconds` anchored there; it probes only a container that the pod status
 *   shows running (set by the sync that saw it Running) and `initialDelaySeconds`
 *   after its start. A startup result change triggers a sync at once (subject to
 *   `GetNewerThan`). An exec probe costs `execProbeSeconds` more than an httpGet.
 *   Readiness and liveness do not hold the start (they are off until the container
 *   has started, and readiness gates no container).
 * - **Termination** (`killContainersWithSyncResult`, `killContainer`,
 *   `kuberuntime_termination_order.go`). Every container is handled in parallel from
 *   t = 0; each runs its preStop hook first (all at once, sidecars' too). A main
 *   container then gets SIGTERM. A restartable init container (sidecar) then waits
 *   for its turn: every main container and every later sidecar has exited
 *   (`newTerminationOrdering`: each sidecar waits on the main containers' channels and
 *   the next sidecar's). SIGTERM comes with what is left of the one grace period, never
 *   less than 2 s (`minimumGracePeriodInSeconds`); a container still running at that
 *   timeout is killed. The pod is gone when its last container has exited.
 * - **A preStop that stops the tool** (the tool table's `preStopStops`, with a preStop
 *   in the spec): the hook sends the tool SIGTERM and returns; the tool exits `stop`
 *   after the hook, without waiting for its turn. When its turn comes, `StopContainer`
 *   finds it exited and returns at once: the sidecars before it wait only for
 *   max(its turn, its own exit). (A sidecar not running when the deletion starts is
 *   pre-closed in `newTerminationOrdering`.) Restarting such a sidecar during the
 *   termination (KEP-4438, alpha, off by default, not merged upstream at the time of
 *   writing) is not modelled.
 * - **Jobs** (`computePodActions`, `getPhase`). Once every main container has exited
 *   (seen at a relist), that sync kills the sidecars as above (preStop, reverse
 *   order) and lasts until the last one has exited; the phase becomes Succeeded at the
 *   next sync, after the first relist past that end. A regular container that never
 *   exits (a classic sidecar) keeps the pod Running: the Job never completes.
 *
 * Not modelled: image pulls, volume set-up and sandbox creation (the same with or
 * without sidecars), container-runtime latency, the periodic resync (1 min), probe
 * failures (each gating probe succeeds at its first try after the tool is ready).
 */

/** The parts of a container the model reads (the manifest's JSON). */
export interface ContainerJson {
  readonly name: string;
  readonly restartPolicy?: string;
  readonly startupProbe?: ProbeJson;
  readonly lifecycle?: { readonly postStart?: unknown; readonly preStop?: unknown };
  readonly resources?: {
    readonly requests?: { readonly cpu?: string | number; readonly memory?: string | number };
    readonly limits?: { readonly cpu?: string | number; readonly memory?: string | number };
  };
}

/** A probe (the manifest's JSON). */
export interface ProbeJson {
  readonly periodSeconds?: number;
  readonly initialDelaySeconds?: number;
  readonly exec?: unknown;
  readonly httpGet?: unknown;
  readonly tcpSocket?: unknown;
  readonly grpc?: unknown;
}

/** The parts of a pod spec the model reads. */
export interface PodSpecJson {
  readonly initContainers?: ContainerJson[];
  readonly containers: ContainerJson[];
  readonly terminationGracePeriodSeconds?: number;
}

/** How a tool's process behaves, in seconds. */
export interface ToolTimes {
  /** From process start to ready (its startup probe would pass); for a run-once init container, to its exit. */
  readonly ready: number;
  /** From SIGTERM to exit (flush, drain left). `Infinity`: it never exits by itself (killed at the timeout). */
  readonly stop: number;
  /** How long its preStop hook runs, if it has one. */
  readonly preStop?: number;
  /** How long its postStart hook blocks, if it has one (a gate hook: until the tool is ready, plus half its poll period on average). */
  readonly postStart?: number;
  /**
   * Whether its preStop hook stops the tool (a NATIVE sidecar's `stopWithAppCommand`:
   * SIGTERM to PID 1, then the hook returns): it then exits `stop` after the hook ends,
   * in parallel with the app, and the termination order passes it at once.
   */
  readonly preStopStops?: boolean;
  /** Whether, as a main container, it ever exits by itself (a Job's main container does; a classic sidecar does not). */
  readonly runsForever?: boolean;
}

/** The kubelet's and the app's parameters. */
export interface KubeletParams {
  /** PLEG relist period (`plegRelistPeriod`). @default 1 */
  readonly relistPeriod?: number;
  /** When the first relist after t = 0 happens, in [0, relistPeriod). @default 0.5 */
  readonly relistPhase?: number;
  /** What an exec probe costs over an httpGet one (fork + exec of a shell in the container). @default 0.05 */
  readonly execProbeSeconds?: number;
}

/** Times by container name; a container not listed is the app. */
export type ToolTable = { readonly [container: string]: ToolTimes };

/** The app's own times, the same with or without sidecars. */
export const APP: ToolTimes = { ready: 0, stop: 3 };

/** The minimum grace period a container gets at SIGTERM (`minimumGracePeriodInSeconds`). */
export const MIN_GRACE_SECONDS = 2;

/** What happened to one container, for tests and traces. */
export interface ContainerEvents {
  readonly name: string;
  readonly started?: number;
  /** A restartable init container: when its start sync ended (its postStart hook returned). */
  readonly startSyncEnd?: number;
  /** A restartable init container: the relist that saw it Running (after its start sync's end). */
  readonly seenRunning?: number;
  readonly preStopDone?: number;
  readonly sigterm?: number;
  readonly exited?: number;
}

/** The result of a start. */
export interface StartResult {
  /** When the first app container started (seconds from the pod's first sync). */
  readonly appStart: number;
  readonly containers: ContainerEvents[];
}

/** The result of a deletion or a Job's completion. */
export interface StopResult {
  /** When the last container exited (deletion) or the phase became Succeeded (Job). */
  readonly done: number;
  readonly containers: ContainerEvents[];
}

const isSidecar = (c: ContainerJson) => c.restartPolicy === 'Always';

class Clock {
  private readonly period: number;
  private readonly phase: number;

  constructor(p: KubeletParams) {
    this.period = p.relistPeriod ?? 1;
    this.phase = p.relistPhase ?? 0.5;
    if (!(this.phase >= 0 && this.phase < this.period)) throw new Error(`relistPhase ${this.phase} is not in [0, ${this.period})`);
  }

  /** The first relist strictly after `t`. */
  relistAfter(t: number): number {
    const k = Math.floor((t - this.phase) / this.period + 1e-9) + 1;
    return round(this.phase + Math.max(0, k) * this.period);
  }
}

/** `t` rounded to the microsecond (the model's times are sums of decimal seconds). */
export function round(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

function times(tools: ToolTable, name: string): ToolTimes {
  return tools[name] ?? APP;
}

/** The first probe tick at or after `t`: ticks at 0, p, 2p, ... (worker created with the pod). */
function probeTickAtOrAfter(t: number, period: number): number {
  return round(Math.ceil(t / period - 1e-9) * period);
}

/**
 * The pod's start: when the first app container (the first main container that is
 * not in `tools`) starts.
 */
export function simulateStart(spec: PodSpecJson, tools: ToolTable, params: KubeletParams = {}): StartResult {
  const clock = new Clock(params);
  const execCost = params.execProbeSeconds ?? 0.05;
  const events: ContainerEvents[] = [];
  // The sync in progress: its start time; each sync's successor waits for a relist after its end.
  let sync = 0;
  for (const c of spec.initContainers ?? []) {
    const t = times(tools, c.name);
    const started = sync;
    if (!isSidecar(c)) {
      events.push({ name: c.name, started });
      // Runs to completion; a relist sees it exit; that sync starts the next.
      sync = clock.relistAfter(started + t.ready);
      continue;
    }
    // A postStart hook blocks the sync that started it; the next sync waits for a cache entry
    // newer than that sync's end: a relist sees it Running, and that sync records it in the
    // status (the probe worker may now probe).
    const startSyncEnd = c.lifecycle?.postStart !== undefined ? round(started + (t.postStart ?? 0)) : started;
    const seenRunning = clock.relistAfter(startSyncEnd);
    events.push({ name: c.name, started, startSyncEnd, seenRunning });
    const probe = c.startupProbe;
    if (probe === undefined) {
      sync = seenRunning;
      continue;
    }
    const period = probe.periodSeconds ?? 10;
    const cost = probe.exec !== undefined ? execCost : 0;
    const earliest = Math.max(started + t.ready, seenRunning, started + (probe.initialDelaySeconds ?? 0));
    const success = round(probeTickAtOrAfter(earliest, period) + cost);
    // The result change triggers a sync, which waits for a cache entry newer than the end of the
    // last sync (the one at seenRunning, which started nothing and ended at once).
    sync = Math.max(success, clock.relistAfter(seenRunning));
  }
  // The main containers start in one sync, in list order; a postStart hook blocks the next one.
  let t = sync;
  let appStart: number | undefined;
  for (const c of spec.containers) {
    events.push({ name: c.name, started: t });
    if (tools[c.name] === undefined && appStart === undefined) appStart = t;
    if (c.lifecycle?.postStart !== undefined) t = round(t + (times(tools, c.name).postStart ?? 0));
  }
  if (appStart === undefined) throw new Error('the pod has no app container (every main container is in the tool table)');
  return { appStart, containers: events };
}

/**
 * The containers' termination from `t0`, the main containers already exited at
 * `mainExited` (a Job) or running (a deletion). Returns the last exit.
 */
function terminate(spec: PodSpecJson, tools: ToolTable, t0: number, mainExited: boolean): { last: number; events: ContainerEvents[] } {
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  const deadline = t0 + grace;
  const events: ContainerEvents[] = [];
  const preStopEnd = (c: ContainerJson) => round(t0 + (c.lifecycle?.preStop !== undefined ? Math.min(times(tools, c.name).preStop ?? 0, grace) : 0));
  const stopAt = (c: ContainerJson, sigterm: number) => {
    const timeout = Math.max(deadline - sigterm, MIN_GRACE_SECONDS);
    return round(sigterm + Math.min(times(tools, c.name).stop, timeout));
  };
  let mainsDone = t0;
  for (const c of spec.containers) {
    if (mainExited) {
      events.push({ name: c.name, exited: t0 });
      continue;
    }
    const preStopDone = preStopEnd(c);
    const exited = stopAt(c, preStopDone);
    events.push({ name: c.name, preStopDone, sigterm: preStopDone, exited });
    mainsDone = Math.max(mainsDone, exited);
  }
  // Sidecars: the last one's turn comes when the main containers are done, then each earlier one's.
  let turn = mainsDone;
  const sidecarEvents: ContainerEvents[] = [];
  for (const c of (spec.initContainers ?? []).filter(isSidecar).reverse()) {
    const preStopDone = preStopEnd(c);
    const t = times(tools, c.name);
    if (c.lifecycle?.preStop !== undefined && t.preStopStops === true) {
      // Its own hook stopped it: it exits `stop` after the hook (or when the kubelet's SIGTERM
      // at its turn times out, if that comes first); at its turn an exited container passes at once.
      const exited = Math.min(round(preStopDone + t.stop), stopAt(c, Math.max(preStopDone, turn)));
      sidecarEvents.unshift({ name: c.name, preStopDone, sigterm: preStopDone, exited });
      turn = Math.max(turn, exited);
      continue;
    }
    const sigterm = Math.max(preStopDone, turn);
    const exited = stopAt(c, sigterm);
    sidecarEvents.unshift({ name: c.name, preStopDone, sigterm, exited });
    turn = exited;
  }
  return { last: Math.max(turn, mainsDone), events: [...sidecarEvents, ...events] };
}

/**
 * Deletion at t = 0: when the pod's last container has exited.
 */
export function simulateDelete(spec: PodSpecJson, tools: ToolTable): StopResult {
  const { last, events } = terminate(spec, tools, 0, false);
  return { done: last, containers: events };
}

/**
 * A Job's main containers exit at t = 0: when the phase becomes Succeeded
 * (`Infinity` if a main container never exits).
 */
export function simulateJobCompletion(spec: PodSpecJson, tools: ToolTable, params: KubeletParams = {}): StopResult {
  const clock = new Clock(params);
  if (spec.containers.some(c => times(tools, c.name).runsForever === true)) {
    return { done: Infinity, containers: [] };
  }
  const seen = clock.relistAfter(0);
  const sidecars = (spec.initContainers ?? []).filter(isSidecar);
  if (sidecars.length === 0) return { done: seen, containers: [] };
  const { last, events } = terminate(spec, tools, seen, true);
  return { done: clock.relistAfter(last), containers: events };
}

/** Mean over relist phases (the pod's start is unrelated to the PLEG's ticks). */
export function overPhases(f: (params: KubeletParams) => number, steps = 100): { mean: number; max: number } {
  const xs = Array.from({ length: steps }, (_, i) => f({ relistPhase: i / steps }));
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
}

/** Requests and limits, in millicores and MiB. */
export interface PodResources {
  readonly cpuRequest: number;
  readonly memoryRequest: number;
  readonly cpuLimit: number;
  readonly memoryLimit: number;
  /** Containers with no CPU or memory limit. */
  readonly unlimited: string[];
}

/** A CPU quantity in millicores. */
export function millicores(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

const MEMORY_UNITS: { [suffix: string]: number } = {
  Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20,
};

/** A memory quantity in MiB. */
export function mebibytes(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(String(q));
  if (m === null) throw new Error(`not a memory quantity: ${q}`);
  if (m[2] === '') return Number(m[1]) / 2 ** 20;
  const unit = MEMORY_UNITS[m[2]];
  if (unit === undefined) throw new Error(`unknown memory unit in ${q}`);
  return Number(m[1]) * unit;
}

/**
 * The pod's effective requests and limits as the scheduler counts them with native
 * sidecars (KEP-753): the larger of the steady state (main containers plus every
 * sidecar) and, for each run-once init container, itself plus the sidecars started
 * before it.
 */
export function podResources(spec: PodSpecJson): PodResources {
  const get = (c: ContainerJson) => ({
    cpuRequest: millicores(c.resources?.requests?.cpu),
    memoryRequest: mebibytes(c.resources?.requests?.memory),
    cpuLimit: millicores(c.resources?.limits?.cpu),
    memoryLimit: mebibytes(c.resources?.limits?.memory),
  });
  const keys = ['cpuRequest', 'memoryRequest', 'cpuLimit', 'memoryLimit'] as const;
  const out: { [k: string]: number } = {};
  for (const k of keys) {
    let sidecars = 0;
    let peak = 0;
    for (const c of spec.initContainers ?? []) {
      if (isSidecar(c)) sidecars += get(c)[k];
      else peak = Math.max(peak, sidecars + get(c)[k]);
    }
    const steady = sidecars + spec.containers.reduce((sum, c) => sum + get(c)[k], 0);
    out[k] = Math.max(steady, peak);
  }
  const unlimited = [...(spec.initContainers ?? []), ...spec.containers]
    .filter(c => c.resources?.limits?.cpu === undefined || c.resources?.limits?.memory === undefined)
    .map(c => c.name);
  return { cpuRequest: out.cpuRequest, memoryRequest: out.memoryRequest, cpuLimit: out.cpuLimit, memoryLimit: out.memoryLimit, unlimited };
}
