import {
  ContainerJson, mebibytes, millicores, overPhases, PodSpecJson, podResources, simulateDelete, simulateJobCompletion,
  simulateStart, ToolTable,
} from '../../bench/lifecycle/model';

/**
 * The lifecycle benchmark's kubelet model (bench/lifecycle/model.ts), on tiny hand-made
 * pods whose timelines are worked out by hand in each test. Relists at 0.5, 1.5, 2.5, ...
 * (phase 0.5, period 1) unless a test says otherwise; probe tickers start at 0.
 */

const PHASE = { relistPhase: 0.5 };
const sidecar = (name: string, extra: Partial<ContainerJson> = {}): ContainerJson => ({ name, restartPolicy: 'Always', ...extra });
const httpProbe = (periodSeconds: number) => ({ httpGet: { path: '/ready', port: 8080 }, periodSeconds });
const preStop = { preStop: { exec: { command: ['true'] } } };

describe('lifecycle model: start', () => {
  test('a sidecar without a startupProbe is started in order but does not hold the next one', () => {
    // GIVEN two sidecars without startup probes, each slow to become ready (5 s)
    const tools: ToolTable = { a: { ready: 5, stop: 0 }, b: { ready: 5, stop: 0 } };
    const pod: PodSpecJson = { initContainers: [sidecar('a'), sidecar('b')], containers: [{ name: 'app' }] };

    // WHEN the pod starts
    const result = simulateStart(pod, tools, PHASE);

    // THEN a starts at 0; the relist at 0.5 sees it Running and that sync starts b; the relist
    // at 1.5 sees b Running and the app starts — readiness (5 s) plays no part
    expect(result.containers.map(c => [c.name, c.started])).toEqual([['a', 0], ['b', 0.5], ['app', 1.5]]);
    expect(result.appStart).toBe(1.5);
  });

  test('a startupProbe holds the next container until it passes, on a ticker anchored at pod add', () => {
    // GIVEN one sidecar ready 2.2 s after start, with a 1 s or a 5 s startup probe
    const tools: ToolTable = { a: { ready: 2.2, stop: 0 } };
    const withPeriod = (p: number): PodSpecJson => ({ initContainers: [sidecar('a', { startupProbe: httpProbe(p) })], containers: [{ name: 'app' }] });

    // WHEN the pod starts
    // THEN the probe passes at its first tick after 2.2 s (3 s; 5 s), and that result's sync starts the app
    expect(simulateStart(withPeriod(1), tools, PHASE).appStart).toBe(3);
    expect(simulateStart(withPeriod(5), tools, PHASE).appStart).toBe(5);
  });

  test('a fast probe still costs two relists: seen Running, then a sync newer than that one', () => {
    // GIVEN a sidecar ready at once with a 1 s startup probe, relists at 0.5, 1.5, ...
    const tools: ToolTable = { a: { ready: 0, stop: 0 } };
    const pod: PodSpecJson = { initContainers: [sidecar('a', { startupProbe: httpProbe(1) })], containers: [{ name: 'app' }] };

    // WHEN the pod starts
    // THEN the relist at 0.5 puts it in the status, the probe passes at 1, and the sync waits
    // for the cache entry of the relist at 1.5 (GetNewerThan the sync at 0.5)
    expect(simulateStart(pod, tools, PHASE).appStart).toBe(1.5);
  });

  test('an exec probe costs its exec time, a run-once init container its run', () => {
    // GIVEN an exec-probed sidecar ready at 2.2 s, and a run-once init container that runs 1 s
    const tools: ToolTable = { a: { ready: 2.2, stop: 0 }, once: { ready: 1, stop: 0 } };
    const exec: PodSpecJson = { initContainers: [sidecar('a', { startupProbe: { exec: { command: ['true'] }, periodSeconds: 1 } })], containers: [{ name: 'app' }] };
    const once: PodSpecJson = { initContainers: [{ name: 'once' }], containers: [{ name: 'app' }] };

    // WHEN each pod starts
    // THEN the exec probe passes at 3 + 0.05; the init container exits at 1, seen at the relist at 1.5
    expect(simulateStart(exec, tools, PHASE).appStart).toBe(3.05);
    expect(simulateStart(once, tools, PHASE).appStart).toBe(1.5);
  });

  test('a sidecar\'s postStart hook ends the sync that started it; it is seen Running at the first relist after that end', () => {
    // GIVEN sidecar a whose gate hook returns 1.2 s after its start (past the relist at 0.5), then b without a hook
    const tools: ToolTable = { a: { ready: 1.15, stop: 0, postStart: 1.2 }, b: { ready: 0, stop: 0 } };
    const pod: PodSpecJson = { initContainers: [sidecar('a', { lifecycle: { postStart: { exec: { command: ['wait'] } } } }), sidecar('b')], containers: [{ name: 'app' }] };

    // WHEN the pod starts
    const result = simulateStart(pod, tools, PHASE);

    // THEN a's start sync lasts until 1.2; the relist at 0.5 happened during it and does not count
    // (the next sync wants a cache entry newer than the end of the last one): the relist at 1.5
    // sees a Running and that sync starts b; the relist at 2.5 sees b, and the app starts
    const byName = Object.fromEntries(result.containers.map(c => [c.name, c]));
    expect([byName.a.started, byName.a.startSyncEnd, byName.a.seenRunning]).toEqual([0, 1.2, 1.5]);
    expect([byName.b.started, byName.b.startSyncEnd, byName.b.seenRunning]).toEqual([1.5, 1.5, 2.5]);
    expect(result.appStart).toBe(2.5);
  });

  test('a gate hook that returns before the next relist costs only that relist; a startup probe costs a tick and a relist more', () => {
    // GIVEN a tool ready 0.4 s after its start, gated by a hook that returns at 0.45 (0.1 s polls), or by a 1 s startup probe
    const tools: ToolTable = { a: { ready: 0.4, stop: 0, postStart: 0.45 } };
    const hooked: PodSpecJson = { initContainers: [sidecar('a', { lifecycle: { postStart: { exec: { command: ['wait'] } } } })], containers: [{ name: 'app' }] };
    const probed: PodSpecJson = { initContainers: [sidecar('a', { startupProbe: httpProbe(1) })], containers: [{ name: 'app' }] };
    const plain: PodSpecJson = { initContainers: [sidecar('a')], containers: [{ name: 'app' }] };

    // WHEN each pod starts
    // THEN the hooked one starts the app at the relist at 0.5, like a sidecar with no gate at all;
    // the probed one at 1.5 (seen Running at 0.5, the probe passes at 1, the sync waits for the relist at 1.5)
    expect(simulateStart(hooked, tools, PHASE).appStart).toBe(0.5);
    expect(simulateStart(plain, tools, PHASE).appStart).toBe(0.5);
    expect(simulateStart(probed, tools, PHASE).appStart).toBe(1.5);
  });

  test('a postStart hook blocks the main containers after it', () => {
    // GIVEN a legacy sidecar first in the list whose postStart hook blocks 2 s
    const tools: ToolTable = { legacy: { ready: 0, stop: 0, postStart: 2 } };
    const pod: PodSpecJson = { containers: [{ name: 'legacy', lifecycle: { postStart: { exec: { command: ['wait'] } } } }, { name: 'app' }] };

    // WHEN the pod starts
    // THEN the app starts 2 s after the first sync
    expect(simulateStart(pod, tools, PHASE).appStart).toBe(2);
  });
});

describe('lifecycle model: deletion', () => {
  test('preStop hooks start at once; sidecars get SIGTERM after the app, in reverse order', () => {
    // GIVEN sidecars s1, s2 with 1 s preStop hooks and 1 s / 0.5 s stops, and the app (stops in 3 s)
    const tools: ToolTable = { s1: { ready: 0, stop: 1, preStop: 1 }, s2: { ready: 0, stop: 0.5, preStop: 1 } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1', { lifecycle: preStop }), sidecar('s2', { lifecycle: preStop })], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 30 };

    // WHEN the pod is deleted
    const result = simulateDelete(pod, tools);

    // THEN both hooks end at 1 (in parallel); s2 gets SIGTERM when the app exits (3), s1 when s2 exits (3.5)
    const byName = Object.fromEntries(result.containers.map(c => [c.name, c]));
    expect([byName.s1.preStopDone, byName.s2.preStopDone]).toEqual([1, 1]);
    expect([byName.app.exited, byName.s2.sigterm, byName.s2.exited, byName.s1.sigterm, byName.s1.exited]).toEqual([3, 3, 3.5, 3.5, 4.5]);
    expect(result.done).toBe(4.5);
  });

  test('each sidecar gets what is left of the grace period, never less than 2 s', () => {
    // GIVEN a 4 s grace period, the app stopping in 3 s, and two sidecars that never exit by themselves
    const tools: ToolTable = { s1: { ready: 0, stop: Infinity }, s2: { ready: 0, stop: Infinity } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), sidecar('s2')], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 4 };

    // WHEN the pod is deleted
    // THEN s2 is killed 2 s after its SIGTERM at 3 (1 s was left), s1 2 s after its SIGTERM at 5 (none left)
    expect(simulateDelete(pod, tools).done).toBe(7);
  });

  test('a main container\'s preStop hook delays its SIGTERM, and so every sidecar', () => {
    // GIVEN a main container whose preStop sleeps 10 s, and one sidecar stopping in 0.5 s
    const tools: ToolTable = { web: { ready: 0, stop: 1, preStop: 10 }, s: { ready: 0, stop: 0.5 } };
    const pod: PodSpecJson = { initContainers: [sidecar('s')], containers: [{ name: 'web', lifecycle: preStop }, { name: 'app' }], terminationGracePeriodSeconds: 30 };

    // WHEN the pod is deleted
    // THEN web exits at 11, the sidecar at 11.5
    expect(simulateDelete(pod, tools).done).toBe(11.5);
  });
});

describe('lifecycle model: a preStop that stops the tool', () => {
  const stops = (name: string) => sidecar(name, { lifecycle: preStop });

  test('the sidecar exits after its own hook, and the termination order passes it at once', () => {
    // GIVEN s1 (stops 1 s after SIGTERM) and s2 after it, whose preStop stops it (0.5 s), and the app (3 s)
    const tools: ToolTable = { s1: { ready: 0, stop: 1 }, s2: { ready: 0, stop: 0.5, preStopStops: true } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), stops('s2')], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 30 };

    // WHEN the pod is deleted
    const result = simulateDelete(pod, tools);

    // THEN s2 exits at 0.5, in parallel with the app; s1's turn comes when the app exits (3): it exits at 4
    const byName = Object.fromEntries(result.containers.map(c => [c.name, c]));
    expect([byName.s2.sigterm, byName.s2.exited]).toEqual([0, 0.5]);
    expect([byName.s1.sigterm, byName.s1.exited]).toEqual([3, 4]);
    expect(result.done).toBe(4);
    // AND without the flag s2 waits for the app (3, exits 3.5) and s1 for s2: 4.5
    expect(simulateDelete(pod, { ...tools, s2: { ready: 0, stop: 0.5 } }).done).toBe(4.5);
  });

  test('a tool that stops slower than the app holds the sidecars before it until it has exited', () => {
    // GIVEN s2 stopping 5 s after its hook, longer than the app's 3 s
    const tools: ToolTable = { s1: { ready: 0, stop: 1 }, s2: { ready: 0, stop: 5, preStopStops: true } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), stops('s2')], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 30 };

    // WHEN the pod is deleted
    // THEN s1's turn comes at 5, when s2 has exited: 6
    expect(simulateDelete(pod, tools).done).toBe(6);
  });

  test('the flag means nothing without a preStop hook in the spec', () => {
    // GIVEN the same tool flagged, but its container has no preStop
    const tools: ToolTable = { s1: { ready: 0, stop: 1 }, s2: { ready: 0, stop: 0.5, preStopStops: true } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), sidecar('s2')], containers: [{ name: 'app' }], terminationGracePeriodSeconds: 30 };

    // WHEN the pod is deleted / THEN the usual order: 3 → 3.5 → 4.5
    expect(simulateDelete(pod, tools).done).toBe(4.5);
  });

  test('a Job: the hook runs in the sync that kills the sidecars', () => {
    // GIVEN a Job pod with s1 (0.3 s) and s2 stopping itself (0.1 s)
    const tools: ToolTable = { s1: { ready: 0, stop: 0.3 }, s2: { ready: 0, stop: 0.1, preStopStops: true } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), stops('s2')], containers: [{ name: 'app' }] };

    // WHEN the main container exits at 0
    // THEN the relist at 0.5 sees it; s2 exits at 0.6, s1 (its turn then) at 0.9; the kill sync ends
    // there and the relist at 1.5 completes the Job
    const result = simulateJobCompletion(pod, tools, PHASE);
    const byName = Object.fromEntries(result.containers.map(c => [c.name, c]));
    expect([byName.s2.exited, byName.s1.sigterm, byName.s1.exited]).toEqual([0.6, 0.6, 0.9]);
    expect(result.done).toBe(1.5);
  });
});

describe('lifecycle model: Job completion', () => {
  test('the sidecars stop after a relist saw the main container exit; the phase follows the next relist', () => {
    // GIVEN a Job pod with two sidecars stopping in 0.3 s each, and the same pod without them
    const tools: ToolTable = { s1: { ready: 0, stop: 0.3 }, s2: { ready: 0, stop: 0.3 } };
    const pod: PodSpecJson = { initContainers: [sidecar('s1'), sidecar('s2')], containers: [{ name: 'app' }] };

    // WHEN the main container exits at 0
    // THEN alone the pod succeeds at the relist at 0.5; with the sidecars they stop 0.5 → 0.8 → 1.1
    // and the relist at 1.5 completes it
    expect(simulateJobCompletion({ containers: [{ name: 'app' }] }, tools, PHASE).done).toBe(0.5);
    expect(simulateJobCompletion(pod, tools, PHASE).done).toBe(1.5);
  });

  test('a classic sidecar that never exits keeps the Job from completing', () => {
    // GIVEN a regular container that runs forever next to the app
    const tools: ToolTable = { classic: { ready: 0, stop: 0.1, runsForever: true } };
    const pod: PodSpecJson = { containers: [{ name: 'app' }, { name: 'classic' }] };

    // WHEN the app exits
    // THEN the Job never completes
    expect(simulateJobCompletion(pod, tools, PHASE).done).toBe(Infinity);
  });
});

describe('lifecycle model: resources and phases', () => {
  test('effective requests: steady state with every sidecar, or a run-once init container plus the sidecars before it', () => {
    // GIVEN a sidecar (100m, 64Mi), a run-once init container (500m, 32Mi) after it, and an app (200m, 128Mi)
    const pod: PodSpecJson = {
      initContainers: [
        sidecar('s', { resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } } }),
        { name: 'once', resources: { requests: { cpu: '0.5', memory: '32Mi' } } },
      ],
      containers: [{ name: 'app', resources: { requests: { cpu: '200m', memory: '128Mi' } } }],
    };

    // WHEN the pod's resources are counted
    const r = podResources(pod);

    // THEN CPU is the init peak (100 + 500), memory the steady state (64 + 128); 'once' and 'app' have no limits
    expect([r.cpuRequest, r.memoryRequest, r.cpuLimit, r.memoryLimit]).toEqual([600, 192, 1000, 1024]);
    expect(r.unlimited).toEqual(['once', 'app']);
  });

  test('quantities and phase averages', () => {
    // GIVEN quantities in several notations, and a start that depends on the relist phase
    // WHEN they are read
    // THEN they convert as Kubernetes defines them
    expect([millicores('250m'), millicores('2'), millicores(0.5)]).toEqual([250, 2000, 500]);
    expect([mebibytes('1Gi'), mebibytes('512Mi'), mebibytes('1048576')]).toEqual([1024, 512, 1]);
    expect(() => mebibytes('lots')).toThrow(/not a memory quantity/);
    // AND a sidecar without a probe adds exactly the wait for the first relist after 0: the phase, or 1 at phase 0
    // (mean (1 + 0.01 + ... + 0.99) / 100 = 0.505)
    const pod: PodSpecJson = { initContainers: [sidecar('a')], containers: [{ name: 'app' }] };
    const tools: ToolTable = { a: { ready: 0, stop: 0 } };
    const { mean, max } = overPhases(p => simulateStart(pod, tools, p).appStart);
    expect(mean).toBeCloseTo(0.505, 6);
    expect(max).toBe(1);
  });
});
