import { ApiObject, ApiObjectMetadataDefinition, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { PodSidecars, Sidecar, SidecarMode, SidecarProfile, SidecarProps, SidecarVolumeSource } from '../../src/core';
import { allContainers, container, containerOrder, find, newChart, podSpec, synth, webDeployment } from '../util';

const IMAGE = 'busybox:1.36.1';

/** A sidecar of `profile`, named `name`. */
function add(chart: Chart, workload: kplus.AbstractPod, name: string, profile: SidecarProfile, extra: Partial<SidecarProps> = {}) {
  return new Sidecar(chart, `${workload.node.id}-${name}`, { workload, name, image: IMAGE, profile, ...extra });
}

const APP = { name: 'app', image: 'myapp:v1.0.0' };

function cronJob(c: Chart) {
  return new kplus.CronJob(c, 'w', { containers: [APP], schedule: Cron.daily() });
}

/** One workload of every kind cdk8s-sidecars supports. */
const KINDS: Array<[string, (chart: Chart) => kplus.AbstractPod]> = [
  ['Deployment', c => new kplus.Deployment(c, 'w', { containers: [APP] })],
  ['StatefulSet', c => new kplus.StatefulSet(c, 'w', { containers: [APP], service: new kplus.Service(c, 'svc', { ports: [{ port: 80 }] }) })],
  ['DaemonSet', c => new kplus.DaemonSet(c, 'w', { containers: [APP] })],
  ['Job', c => new kplus.Job(c, 'w', { containers: [APP] })],
  ['CronJob', c => cronJob(c)],
  ['Pod', c => new kplus.Pod(c, 'w', { containers: [APP] })],
];


describe('every workload kind', () => {
  test.each(KINDS)('%s: native sidecars in start order, before the init containers, grace period raised', (kind, make) => {
    // GIVEN a workload with a user init container
    const chart = newChart();
    const w = make(chart);
    w.addInitContainer({ name: 'migrate', image: 'myapp-migrate:v1.0.0' });

    // WHEN sidecars are attached in the "wrong" order
    add(chart, w, 'exporter', SidecarProfile.METRICS_EXPORTER);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(15) });
    add(chart, w, 'secrets', SidecarProfile.SECRET_INJECTION);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });

    // THEN
    const manifests = synth(chart);
    const spec = podSpec(find(manifests, kind));
    expect(containerOrder(spec)).toEqual(['init:logs', 'init:secrets', 'init:proxy', 'init:exporter', 'init:migrate', 'app']);
    for (const name of ['logs', 'secrets', 'proxy', 'exporter']) {
      expect(container(spec, name).restartPolicy).toBe('Always');
    }
    expect(container(spec, 'migrate').restartPolicy).toBeUndefined();
    expect(spec.terminationGracePeriodSeconds).toBe(30 + 15 + 5);
    expect(spec).toMatchSnapshot();
  });

  test.each(KINDS)('%s: every volume a container mounts is a volume of the pod', (_kind, make) => {
    // GIVEN sidecars with private and shared volumes (a StatefulSet without volumeClaimTemplates
    // lost every pod volume in some cdk8s-plus releases: cdk8s-team/cdk8s#2858)
    const chart = newChart();
    const w = make(chart);
    new Sidecar(chart, 'sync', {
      workload: w,
      image: 'rclone/rclone:1.68.2',
      writablePaths: ['/tmp'],
      configFiles: { 'a.conf': 'x' },
      volumes: [{ name: 'shared', source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(8) }), path: '/shared', appPath: '/shared' }],
    });

    // WHEN
    const spec = podSpec(find(synth(chart), _kind));

    // THEN
    const volumes = (spec.volumes ?? []).map((v: any) => v.name).sort();
    expect(volumes).toEqual(['shared', 'sync-config', 'sync-tmp']);
    for (const c of allContainers(spec)) {
      for (const m of c.volumeMounts ?? []) expect(volumes).toContain(m.name);
    }
  });

  test.each(KINDS.filter(([k]) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(k)))('%s: legacy sidecars come first in the container list, in start order', (kind, make) => {
    // GIVEN
    const chart = newChart();
    Sidecar.setDefaultMode(chart, SidecarMode.LEGACY);
    const w = make(chart);

    // WHEN
    add(chart, w, 'proxy', SidecarProfile.PROXY, { startupCommand: ['wait-ready'] });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);

    // THEN
    const spec = podSpec(find(synth(chart), kind));
    expect(containerOrder(spec)).toEqual(['logs', 'proxy', 'app']);
    expect(container(spec, 'proxy').lifecycle.postStart.exec.command).toEqual(['wait-ready']);
  });
});

describe('start order', () => {
  test('ties keep attach order; startRank overrides the profile', () => {
    // GIVEN
    const chart = newChart();
    const w = webDeployment(chart);

    // WHEN
    add(chart, w, 'b', SidecarProfile.DATA_SYNC);
    add(chart, w, 'a', SidecarProfile.DATA_SYNC);
    add(chart, w, 'first', SidecarProfile.DATA_SYNC, { startRank: 50 });
    const pod = PodSidecars.of(w);

    // THEN
    expect(pod.sidecars.map(s => s.name)).toEqual(['first', 'b', 'a']);
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:first', 'init:b', 'init:a', 'app']);
  });

  test('beforeInitContainers false starts the sidecar after the workload\'s own init containers', () => {
    // GIVEN
    const chart = newChart();
    const w = webDeployment(chart);
    w.addInitContainer({ name: 'migrate', image: 'myapp-migrate:v1.0.0' });

    // WHEN
    add(chart, w, 'warmup', SidecarProfile.DATA_SYNC, { beforeInitContainers: false });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);

    // THEN
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:logs', 'init:migrate', 'init:warmup', 'app']);
  });

  test('init containers added after the sidecars still start after them', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    w.addInitContainer({ name: 'migrate', image: 'myapp-migrate:v1.0.0' });
    add(chart, w, 'proxy', SidecarProfile.PROXY);
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:logs', 'init:proxy', 'init:migrate', 'app']);
  });

  test('a run-once step takes its place in the start order among native sidecars', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY);
    add(chart, w, 'render', SidecarProfile.SECRET_INJECTION, { runOnce: true });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:logs', 'init:render', 'init:proxy', 'app']);
  });

  test('app containers stay in their own order after legacy sidecars', () => {
    const chart = newChart();
    const w = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'a:1.0.0' }, { name: 'worker', image: 'b:1.0.0' }] });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { mode: SidecarMode.LEGACY });
    w.addContainer({ name: 'late', image: 'c:1.0.0' });
    const pod = PodSidecars.of(w);
    expect(pod.appContainers.map(c => c.name)).toEqual(['app', 'worker', 'late']);
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['logs', 'app', 'worker', 'late']);
  });
});

describe('termination grace period', () => {
  test('the workload\'s own grace period is the app\'s time; sidecar budgets are added', () => {
    // GIVEN
    const chart = newChart();
    const w = new kplus.Deployment(chart, 'web', { containers: [APP], terminationGracePeriod: Duration.seconds(20) });

    // WHEN
    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(15) });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });

    // THEN
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(40);
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(40);
  });

  test('declareAppShutdown replaces the app\'s time; a run-once step adds nothing', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(15) });
    add(chart, w, 'render', SidecarProfile.SECRET_INJECTION, { runOnce: true, shutdownBudget: Duration.seconds(100) });
    PodSidecars.of(w).declareAppShutdown(Duration.seconds(5));
    expect(PodSidecars.of(w).appShutdown.toSeconds()).toBe(5);
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(20);
  });

  test('legacy sidecars count too', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { mode: SidecarMode.LEGACY, shutdownBudget: Duration.seconds(15) });
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(45);
  });

  test('a limit that covers the need is fine', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(15) });
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(45));
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(45);
  });

  test('a limit that is too short is a synth error naming the numbers', () => {
    // GIVEN
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(15) });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });

    // WHEN
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(30));

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[GRACE_PERIOD_TOO_SHORT] workload 'test/web': terminationGracePeriodSeconds is limited to 30s, but the pod needs 50s (app 30s + logs 5s + proxy 15s). Fix: raise the limit to at least 50s, lower the app's shutdown time, or lower the sidecars' shutdown budgets.",
    );
  });

  test.each([
    ['declareAppShutdown', (p: PodSidecars) => p.declareAppShutdown(Duration.millis(2500))],
    ['limitTerminationGracePeriod', (p: PodSidecars) => p.limitTerminationGracePeriod(Duration.millis(100))],
  ])('%s needs whole seconds', (method, call) => {
    const chart = newChart();
    const w = webDeployment(chart);
    expect(() => call(PodSidecars.of(w))).toThrow(
      `[DURATION_INVALID] workload 'test/web': '${method}' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as '${method}'.`,
    );
  });

  test('a preStop budget runs in parallel with the app: it counts only where it is longer', () => {
    // GIVEN the app's 30s, a proxy whose preStop may run 20s, and a log shipper flushing 5s after the app
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { preStopBudget: Duration.seconds(20) });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });

    // WHEN the pod is synthesized
    // THEN the preStop hides under the app's 30s: 30 + 5
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(35);
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(35);
  });

  test('a preStop budget longer than the app sets the first term, and the error says so', () => {
    // GIVEN a 40s preStop, a 5s flush after the app, and a limit of 40s
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { preStopBudget: Duration.seconds(40) });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(40));

    // WHEN the pod is synthesized
    // THEN it needs 40 + 5 = 45s, shown as the kubelet spends it
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(45);
    expect(() => Testing.synth(chart)).toThrow(
      "[GRACE_PERIOD_TOO_SHORT] workload 'test/web': terminationGracePeriodSeconds is limited to 40s, but the pod needs 45s (max(app 30s, proxy preStop 40s) + logs 5s). Fix: raise the limit to at least 45s, lower the app's shutdown time, or lower the sidecars' shutdown budgets.",
    );
  });

  test('legacy sidecars\' budgets follow the app\'s time, then the native ones one after another; a shorter preStop hides', () => {
    // GIVEN two LEGACY sidecars (15s and 5s after the app), two native ones (5s and 3s), and a 40s preStop
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { mode: SidecarMode.LEGACY, shutdownBudget: Duration.seconds(15) });
    add(chart, w, 'sync', SidecarProfile.DATA_SYNC, { mode: SidecarMode.LEGACY, shutdownBudget: Duration.seconds(5) });
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });
    add(chart, w, 'stats', SidecarProfile.METRICS_EXPORTER, { shutdownBudget: Duration.seconds(3), preStopBudget: Duration.seconds(40) });
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(50));

    // WHEN the pod is synthesized
    // THEN it needs max(30 + 15 + 5, 40) + 5 + 3 = 58s
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(58);
    expect(() => Testing.synth(chart)).toThrow(
      "[GRACE_PERIOD_TOO_SHORT] workload 'test/web': terminationGracePeriodSeconds is limited to 50s, but the pod needs 58s (app 30s + proxy 15s + sync 5s + logs 5s + stats 3s).",
    );
  });

  test('a native sidecar that stops with the app adds nothing after it: its budget runs in parallel with the app\'s', () => {
    // GIVEN the app's 30s, a log shipper flushing 5s after the app, and an exporter that stops
    // with the app (its preStop sends it SIGTERM at the deletion's start) within 10s
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });
    const stats = add(chart, w, 'stats', SidecarProfile.METRICS_EXPORTER, { shutdownBudget: Duration.seconds(10), stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });

    // WHEN the pod is synthesized
    // THEN its 10s hide under the app's 30s: 30 + 5, not 30 + 10 + 5
    expect(stats.stopsWithApp).toBe(true);
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(35);
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(35);
  });

  test('a stop-with-app budget longer than the app sets the first term, and the error says so', () => {
    // GIVEN an exporter stopping with the app within 40s, a 5s flush after the app, and a limit of 40s
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { shutdownBudget: Duration.seconds(5) });
    add(chart, w, 'stats', SidecarProfile.METRICS_EXPORTER, { shutdownBudget: Duration.seconds(40), stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(40));

    // WHEN the pod is synthesized
    // THEN it needs max(30, 40) + 5 = 45s
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(45);
    expect(() => Testing.synth(chart)).toThrow(
      "[GRACE_PERIOD_TOO_SHORT] workload 'test/web': terminationGracePeriodSeconds is limited to 40s, but the pod needs 45s (max(app 30s, stats with the app 40s) + logs 5s).",
    );
  });

  test('in LEGACY mode a stop-with-app command changes nothing: the budget follows the app\'s time', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'stats', SidecarProfile.METRICS_EXPORTER, { mode: SidecarMode.LEGACY, shutdownBudget: Duration.seconds(10), stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });
    expect(PodSidecars.of(w).terminationGracePeriod.toSeconds()).toBe(40);
  });

  test('preStopBudget needs whole seconds', () => {
    // GIVEN / WHEN a fractional preStop budget / THEN a construction error
    const chart = newChart();
    const w = webDeployment(chart);
    expect(() => add(chart, w, 'proxy', SidecarProfile.PROXY, { preStopBudget: Duration.millis(1500) })).toThrow(
      "[DURATION_INVALID] workload 'test/web', sidecar 'proxy': 'preStopBudget' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as 'preStopBudget'.",
    );
  });

  test('no sidecar budget and no user value leaves the default 30s', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'sync', SidecarProfile.DATA_SYNC);
    expect(podSpec(find(synth(chart), 'Deployment')).terminationGracePeriodSeconds).toBe(30);
  });
});

describe('Jobs and CronJobs', () => {
  test('a native sidecar on a Job: the Job completes, the sidecar is stopped after the app', () => {
    const chart = newChart();
    const j = new kplus.Job(chart, 'migrate', { containers: [APP] });
    add(chart, j, 'logs', SidecarProfile.LOG_COLLECTOR);
    const spec = podSpec(find(synth(chart), 'Job'));
    expect(spec.restartPolicy).toBe('Never');
    expect(container(spec, 'logs').restartPolicy).toBe('Always');
  });

  test.each([
    ['Job', (c: Chart) => new kplus.Job(c, 'w', { containers: [APP] }), 'a Job'],
    // Found by the property-based tests: cdk8s-plus renders restartPolicy 'Always' for a
    // Job created with `restartPolicy: undefined`, and the Job was taken for a long-running pod.
    ['Job with restartPolicy: undefined', (c: Chart) => new kplus.Job(c, 'w', { containers: [APP], restartPolicy: undefined }), 'a Job'],
    ['CronJob', cronJob, "a CronJob's Job"],
    ['Pod with restartPolicy Never', (c: Chart) => new kplus.Pod(c, 'w', { containers: [APP], restartPolicy: kplus.RestartPolicy.NEVER }), 'a pod with restartPolicy Never'],
    ['Pod with restartPolicy OnFailure', (c: Chart) => new kplus.Pod(c, 'w', { containers: [APP], restartPolicy: kplus.RestartPolicy.ON_FAILURE }), 'a pod with restartPolicy OnFailure'],
  ])('LEGACY on a %s is a synth error', (_label, make, noun) => {
    // GIVEN
    const chart = newChart();
    const w = make(chart);

    // WHEN
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { mode: SidecarMode.LEGACY });

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      `[LEGACY_ON_COMPLETION] workload 'test/w', sidecar 'logs': a LEGACY sidecar is an ordinary container that never exits, and ${noun} completes only when all its containers have exited, so it would never complete. Fix: use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar.`,
    );
  });

  test('LEGACY with the Job-safe form on a CronJob synthesizes', () => {
    const chart = newChart();
    Sidecar.setDefaultMode(chart, SidecarMode.LEGACY);
    const w = cronJob(chart);
    add(chart, w, 'secrets', SidecarProfile.SECRET_INJECTION, { legacyJobInitContainer: true });
    expect(containerOrder(podSpec(find(synth(chart), 'CronJob')))).toEqual(['init:secrets', 'app']);
  });
});

describe('pod-wide errors name the code, the workload, the sidecar and the fix', () => {
  test('a pod with sidecars and no app container', () => {
    const chart = newChart();
    const w = new kplus.Deployment(chart, 'web');
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { mode: SidecarMode.LEGACY });
    expect(() => Testing.synth(chart)).toThrow(
      "[NO_APP_CONTAINER] workload 'test/web': the pod has sidecars but no app container. Fix: add the app's container to the workload (containers: [...]).",
    );
  });

  test('appContainers naming a container that is not an app container', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { appContainers: ['api'] });
    expect(() => Testing.synth(chart)).toThrow(
      "[APP_CONTAINER_UNKNOWN] workload 'test/web', sidecar 'logs': 'appContainers' names 'api', which is not an app container of the pod (app containers: 'app'). Fix: name an existing app container, or leave 'appContainers' unset to serve them all.",
    );
  });

  test('a shared path the app already uses for another volume', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    w.containers[0].mount('/var/log/app', kplus.Volume.fromEmptyDir(chart, 'own', 'own-logs'));
    const s = add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    s.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir(), path: '/var/log/app', readOnly: true, appPath: '/var/log/app' });
    expect(() => Testing.synth(chart)).toThrow(
      "[APP_MOUNT_PATH_TAKEN] workload 'test/web', sidecar 'logs': container 'app' already mounts volume 'own-logs' at '/var/log/app', where this sidecar shares 'app-logs'. Fix: mount the app's volume elsewhere, or set this sidecar's app path to a free one.",
    );
  });

  test('two containers with one name (an init container added later)', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    w.addInitContainer({ name: 'logs', image: 'other:1.0.0' });
    expect(() => Testing.synth(chart)).toThrow(
      "[CONTAINER_NAME_TAKEN] workload 'test/web', sidecar 'logs': 2 containers of the pod are named 'logs'. Fix: give every container (init containers included) its own name.",
    );
  });

  test('a sidecar port the app also uses', () => {
    const chart = newChart();
    const w = new kplus.Deployment(chart, 'web', { containers: [{ ...APP, portNumber: 15001 }] });
    add(chart, w, 'proxy', SidecarProfile.PROXY, { ports: [{ number: 15001, name: 'outbound' }] });
    expect(() => Testing.synth(chart)).toThrow(
      "[PORT_IN_USE] workload 'test/web', sidecar 'proxy': port 15001/TCP ('outbound') is also used by container 'app' (containers of a pod share one network namespace). Fix: move one of them to a free port (set 'outbound', or the port of 'app').",
    );
  });

  test('two sidecars on one port', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'a', SidecarProfile.DATA_SYNC, { ports: [{ number: 9102 }] });
    add(chart, w, 'b', SidecarProfile.DATA_SYNC, { ports: [{ number: 9102 }] });
    expect(() => Testing.synth(chart)).toThrow(
      "[PORT_IN_USE] workload 'test/web', sidecar 'b': port 9102/TCP is also used by container 'a' (containers of a pod share one network namespace). Fix: move one of them to a free port (set this sidecar's port props, or the port of 'a').",
    );
  });

  test('one port number over TCP and UDP is no collision; a run-once step never collides', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'statsd', SidecarProfile.METRICS_EXPORTER, { ports: [{ number: 9125, protocol: kplus.Protocol.UDP }] });
    add(chart, w, 'tcp', SidecarProfile.DATA_SYNC, { ports: [{ number: 9125 }] });
    add(chart, w, 'once', SidecarProfile.DATA_SYNC, { runOnce: true, ports: [{ number: 8080 }] });
    expect(() => synth(chart)).not.toThrow();
  });

  test('two app containers on one port are not this library\'s business', () => {
    const chart = newChart();
    const w = new kplus.Deployment(chart, 'web', { containers: [{ ...APP, portNumber: 80 }, { name: 'b', image: 'b:1.0.0', portNumber: 80 }] });
    add(chart, w, 'sync', SidecarProfile.DATA_SYNC);
    expect(() => Testing.synth(chart)).not.toThrow();
  });

  // Found by the property-based tests: this reached cdk8s-plus's own "Invalid mount
  // configuration" error while rendering.
  test('an app volume with the name of a sidecar\'s own volume, mounted after the sidecar', () => {
    // GIVEN a sidecar with a private volume, and an app that later mounts another volume of that name
    const chart = newChart();
    const w = webDeployment(chart);
    const s = add(chart, w, 'proxy', SidecarProfile.PROXY);
    s.addVolume({ name: 'proxy-config', source: SidecarVolumeSource.emptyDir(), path: '/etc/proxy', readOnly: true });
    w.containers[0].mount('/config', kplus.Volume.fromEmptyDir(chart, 'app-config', 'proxy-config'));
    // WHEN / THEN both owners are named
    expect(() => Testing.synth(chart)).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web': container 'app' mounts a volume named 'proxy-config', and sidecar 'proxy' has a different volume of that name. Fix: give one of the volumes another name (a sidecar names its own volumes after its container name, set with its 'name' prop).",
    );
  });

  // Found by the property-based tests: this reached cdk8s-plus's own "Invalid mount
  // configuration" error while rendering.
  test('two volumes of one name mounted straight into containers', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    const s = add(chart, w, 'proxy', SidecarProfile.PROXY);
    s.container.mount('/etc/proxy', kplus.Volume.fromEmptyDir(chart, 'config', 'proxy-config'), { readOnly: true });
    w.containers[0].mount('/config', kplus.Volume.fromEmptyDir(chart, 'app-config', 'proxy-config'));
    expect(() => Testing.synth(chart)).toThrow(
      "[VOLUME_NAME_TAKEN] workload 'test/web': container 'app' mounts a volume named 'proxy-config', and container 'proxy' has a different volume of that name.",
    );
  });

  test('a subPath mount of a shared volume', () => {
    // GIVEN a reloader that must see every update of the app's config
    const chart = newChart();
    const w = webDeployment(chart);
    const s = add(chart, w, 'reload', SidecarProfile.CONFIG_RELOAD);
    const config = s.addVolume({
      name: 'app-config',
      source: SidecarVolumeSource.configMap(kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'app-config')),
      path: '/etc/app',
      readOnly: true,
      mustSeeUpdates: true,
    });

    // WHEN the app mounts one file of that volume
    w.containers[0].mount('/etc/app/app.yaml', config, { subPath: 'app.yaml' });

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[SUBPATH_ON_SHARED] workload 'test/web': container 'app' mounts shared volume 'app-config' with a subPath, and subPath mounts never see updates. Fix: mount the whole volume (no subPath) at a directory of its own.",
    );
  });

  test('a subPath mount of a watched ConfigMap under another volume name', () => {
    // GIVEN a reloader that watches ConfigMap 'app-config'
    const chart = newChart();
    const w = webDeployment(chart);
    const configMap = kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'app-config');
    add(chart, w, 'reload', SidecarProfile.CONFIG_RELOAD).addVolume({
      name: 'watched', source: SidecarVolumeSource.configMap(configMap), path: '/etc/app', readOnly: true, mustSeeUpdates: true,
    });

    // WHEN the app mounts one file of the same ConfigMap through a volume of its own
    w.containers[0].mount('/etc/app/app.yaml', kplus.Volume.fromConfigMap(chart, 'own', configMap, { name: 'own-config' }), { subPath: 'app.yaml' });

    // THEN the reloader would see the change, the app never
    expect(() => Testing.synth(chart)).toThrow(
      "[SUBPATH_ON_SHARED] workload 'test/web', sidecar 'reload': container 'app' mounts watched ConfigMap 'app-config' (volume 'own-config') with a subPath, and subPath mounts never see updates. Fix: mount the whole volume (no subPath) at a directory of its own, or read the file from the sidecar-shared mount.",
    );
  });

  test('a subPath mount of a private volume, or of a ConfigMap nobody watches, is fine', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    const configMap = kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'app-config');
    const own = add(chart, w, 'reload', SidecarProfile.CONFIG_RELOAD).addVolume({
      name: 'settings', source: SidecarVolumeSource.configMap(configMap), path: '/etc/app', readOnly: true,
    });
    w.containers[0].mount('/etc/app/app.yaml', kplus.Volume.fromConfigMap(chart, 'own', configMap, { name: 'own-config' }), { subPath: 'app.yaml' });
    w.addInitContainer({ name: 'check', image: 'check:1.0.0' }).mount('/etc/app/app.yaml', own, { subPath: 'app.yaml' });
    expect(() => synth(chart)).not.toThrow();
  });

  test('a workload kind this library does not know', () => {
    // GIVEN an AbstractPod that is none of cdk8s-plus's workloads
    class Custom extends kplus.AbstractPod {
      public readonly resourceType = 'replicasets';
      public readonly podMetadata = new ApiObjectMetadataDefinition({ apiObject: undefined as any });
      protected readonly apiObject: ApiObject;
      constructor(scope: Chart, id: string) {
        super(scope, id, { containers: [APP] });
        this.apiObject = new ApiObject(this, 'Resource', { apiVersion: 'apps/v1', kind: 'ReplicaSet' });
      }
    }
    const chart = newChart();
    const w = new Custom(chart, 'custom');
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    expect(() => Testing.synth(chart)).toThrow(
      "[WORKLOAD_UNSUPPORTED] workload 'test/custom': Custom is not a workload cdk8s-sidecars knows. Fix: attach sidecars to a kplus Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod.",
    );
  });

  test('a cdk8s-plus-28 release that keeps its containers elsewhere', () => {
    // GIVEN a workload whose container lists are not where cdk8s-plus-28 2.5.x keeps them
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    const inits = [...w.initContainers];
    Object.defineProperty(w, '_initContainers', { value: undefined });
    Object.defineProperty(w, 'initContainers', { get: () => [...inits] });
    // WHEN / THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[CDK8S_PLUS_UNSUPPORTED] workload 'test/web': this cdk8s-plus-28 release keeps its containers where cdk8s-sidecars cannot order them. Fix: use cdk8s-plus-28 2.5.x, the range this library supports.",
    );
  });

  test('every pod problem is reported at once', () => {
    const chart = newChart();
    const w = new kplus.Job(chart, 'w', { containers: [{ ...APP, portNumber: 9000 }] });
    add(chart, w, 'a', SidecarProfile.DATA_SYNC, { mode: SidecarMode.LEGACY, ports: [{ number: 9000 }] });
    let message = '';
    try {
      Testing.synth(chart);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Validation failed with the following errors:\n/);
    expect(message).toContain("[LEGACY_ON_COMPLETION] workload 'test/w', sidecar 'a': a LEGACY sidecar is an ordinary container that never exits");
    expect(message).toContain("[PORT_IN_USE] workload 'test/w', sidecar 'a': port 9000/TCP is also used by container 'app'");
  });
});

describe('cdk8s-plus resources defaults', () => {
  test('the app keeps cdk8s-plus\'s defaults; no sidecar gets them', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'sync', SidecarProfile.DATA_SYNC);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR, { resources: { memory: { limit: Size.mebibytes(512) } } });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'app').resources).toEqual({ limits: { cpu: '1500m', memory: '2048Mi' }, requests: { cpu: '1000m', memory: '512Mi' } });
    expect(container(spec, 'sync').resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
    expect(container(spec, 'logs').resources).toEqual({ limits: { cpu: '200m', memory: '512Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
  });
});

describe('the workload\'s own init containers', () => {
  function withMigration(chart: Chart) {
    const w = webDeployment(chart);
    w.addInitContainer({ name: 'migrate', image: 'myapp-migrate:v1.0.0' });
    return w;
  }

  test('get the volumes and environment of sidecars that run before them', () => {
    // GIVEN
    const chart = newChart();
    const w = withMigration(chart);

    // WHEN a native sidecar and a run-once step share a volume and set env
    const native = add(chart, w, 'proxy', SidecarProfile.PROXY);
    native.addAppEnvVariable('HTTP_PROXY', kplus.EnvValue.fromValue('http://127.0.0.1:15001'));
    const once = add(chart, w, 'render', SidecarProfile.SECRET_INJECTION, { runOnce: true });
    once.addVolume({ name: 'secrets', source: SidecarVolumeSource.emptyDir({ memory: true, sizeLimit: Size.mebibytes(1) }), path: '/secrets', appPath: '/secrets', appReadOnly: true });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    for (const name of ['migrate', 'app']) {
      expect(container(spec, name).env).toEqual([{ name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' }]);
      expect(container(spec, name).volumeMounts).toEqual([{ mountPath: '/secrets', name: 'secrets', readOnly: true }]);
    }
  });

  test('do not get them from LEGACY sidecars or sidecars that start after them', () => {
    // GIVEN
    const chart = newChart();
    const w = withMigration(chart);

    // WHEN
    add(chart, w, 'proxy', SidecarProfile.PROXY, { mode: SidecarMode.LEGACY })
      .addAppEnvVariable('HTTP_PROXY', kplus.EnvValue.fromValue('http://127.0.0.1:15001'));
    add(chart, w, 'warm', SidecarProfile.DATA_SYNC, { beforeInitContainers: false })
      .addVolume({ name: 'cache', source: SidecarVolumeSource.emptyDir(), path: '/cache', appPath: '/cache' });

    // THEN the init container would find no proxy and no content: it gets neither
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'migrate').env).toBeUndefined();
    expect(container(spec, 'migrate').volumeMounts).toBeUndefined();
    expect(container(spec, 'app').env).toEqual([{ name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/cache', name: 'cache', readOnly: false }]);
  });

  test('appContainers can name an init container', () => {
    const chart = newChart();
    const w = withMigration(chart);
    add(chart, w, 'render', SidecarProfile.SECRET_INJECTION, { appContainers: ['migrate'] })
      .addAppEnvVariable('SECRETS', kplus.EnvValue.fromValue('/secrets'));
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'migrate').env).toEqual([{ name: 'SECRETS', value: '/secrets' }]);
    expect(container(spec, 'app').env).toBeUndefined();
  });

  test('naming an init container that starts before the sidecar runs is an error', () => {
    const chart = newChart();
    const w = withMigration(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { mode: SidecarMode.LEGACY, appContainers: ['migrate'] });
    add(chart, w, 'warm', SidecarProfile.DATA_SYNC, { beforeInitContainers: false, appContainers: ['migrate'] });
    let message = '';
    try {
      Testing.synth(chart);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(
      "[APP_CONTAINER_UNKNOWN] workload 'test/web', sidecar 'proxy': 'appContainers' names init container 'migrate', which starts before this sidecar runs (a LEGACY sidecar starts after all init containers). Fix: serve that init container from a sidecar that starts before it, or leave it out of 'appContainers'.",
    );
    expect(message).toContain(
      "[APP_CONTAINER_UNKNOWN] workload 'test/web', sidecar 'warm': 'appContainers' names init container 'migrate', which starts before this sidecar runs (a sidecar with beforeInitContainers: false starts after them). Fix: serve that init container from a sidecar that starts before it, or leave it out of 'appContainers'.",
    );
  });
});

describe('a pod is validated again only when it changed', () => {
  const logsVolume = { name: 'app-logs', source: SidecarVolumeSource.emptyDir(), path: '/var/log/app', readOnly: true, appPath: '/var/log/app' };

  test('an app of several charts synthesizes every chart, each pod arranged as in one chart', () => {
    const build = (charts: number) => {
      const app = Testing.app();
      return Array.from({ length: charts }, (_, i) => {
        const chart = new Chart(app, `c${i}`, { namespace: 'production' });
        const w = webDeployment(chart);
        add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR).addVolume(logsVolume);
        add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(5) });
        return chart;
      });
    };
    // cdk8s validates the whole app once per chart it renders.
    const alone = podSpec(find(synth(build(1)[0]), 'Deployment'));
    expect(alone.initContainers.map((c: any) => c.name)).toEqual(['logs', 'proxy']);
    for (const chart of build(3)) {
      expect(podSpec(find(synth(chart), 'Deployment'))).toEqual(alone);
    }
  });

  test('a container added after a synth is checked at the next', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    synth(chart);
    w.addInitContainer({ name: 'logs', image: 'other:1.0.0' });
    expect(() => Testing.synth(chart)).toThrow(/\[CONTAINER_NAME_TAKEN\] workload 'test\/web', sidecar 'logs'/);
  });

  test('a mount added after a synth is checked at the next', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR).addVolume(logsVolume);
    synth(chart);
    w.containers[0].mount('/var/log/app', kplus.Volume.fromEmptyDir(chart, 'own', 'own-logs'));
    expect(() => Testing.synth(chart)).toThrow(/\[MOUNT_PATH_TAKEN\] workload 'test\/web': container 'app' mounts both 'app-logs' and 'own-logs' at '\/var\/log\/app'/);
  });

  test('a port added after a synth is checked at the next', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY, { ports: [{ number: 15001, name: 'outbound' }] });
    synth(chart);
    w.containers[0].addPort({ number: 15001 });
    expect(() => Testing.synth(chart)).toThrow(/\[PORT_IN_USE\] workload 'test\/web', sidecar 'proxy'/);
  });

  test('a volume mounted after a synth is checked at the next', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    add(chart, w, 'proxy', SidecarProfile.PROXY).addVolume({ name: 'proxy-config', source: SidecarVolumeSource.emptyDir(), path: '/etc/proxy', readOnly: true });
    synth(chart);
    w.containers[0].mount('/config', kplus.Volume.fromEmptyDir(chart, 'app-config', 'proxy-config'));
    expect(() => Testing.synth(chart)).toThrow(/\[VOLUME_NAME_TAKEN\] workload 'test\/web': container 'app' mounts a volume named 'proxy-config'/);
  });

  test('a sidecar, a volume, an app variable or a grace limit added after a synth is in the next', () => {
    const chart = newChart();
    const w = webDeployment(chart);
    const logs = add(chart, w, 'logs', SidecarProfile.LOG_COLLECTOR);
    synth(chart);

    add(chart, w, 'proxy', SidecarProfile.PROXY, { shutdownBudget: Duration.seconds(5) });
    logs.addVolume(logsVolume);
    logs.addAppEnvVariable('LOG_DIR', kplus.EnvValue.fromValue('/var/log/app'));
    let spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['logs', 'proxy']);
    expect(spec.terminationGracePeriodSeconds).toBe(35);
    const app = spec.containers.find((c: any) => c.name === 'app');
    expect(app.volumeMounts).toContainEqual({ name: 'app-logs', mountPath: '/var/log/app', readOnly: false });
    expect(app.env).toContainEqual({ name: 'LOG_DIR', value: '/var/log/app' });

    PodSidecars.of(w).declareAppShutdown(Duration.seconds(10));
    spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.terminationGracePeriodSeconds).toBe(15);
    PodSidecars.of(w).limitTerminationGracePeriod(Duration.seconds(12));
    expect(() => Testing.synth(chart)).toThrow(/\[GRACE_PERIOD_TOO_SHORT\] workload 'test\/web'/);
  });
});
