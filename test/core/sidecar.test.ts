import { createHash } from 'crypto';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { AlertPack } from '../../src/alerts/pack';
import {
  PodSidecars, Sidecar, SidecarMode, SidecarPlacement, SidecarProfile, SidecarVolumeSource,
} from '../../src/core';
import { container, containerOrder, find, newChart, podMetadata, podSpec, synth, webDeployment } from '../util';

const IMAGE = 'rclone/rclone:1.68.2';

function job(chart: Chart, id = 'migrate'): kplus.Job {
  return new kplus.Job(chart, id, {
    containers: [{ name: 'task', image: 'myapp-migrate:v1.0.0' }],
  });
}

describe('Sidecar container', () => {
  test('a native sidecar is an init container with restartPolicy Always and a restricted security context', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.mode).toBe(SidecarMode.NATIVE);
    expect(sidecar.placement).toBe(SidecarPlacement.NATIVE_SIDECAR);
    expect(containerOrder(spec)).toEqual(['init:sync', 'app']);
    const c = container(spec, 'sync');
    expect(c.restartPolicy).toBe('Always');
    expect(c.image).toBe(IMAGE);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec).toMatchSnapshot();
  });

  test('the container name defaults to the construct id and can be set', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const a = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    const b = new Sidecar(chart, 'Other', { workload: web, image: IMAGE, name: 'rclone-2' });

    // THEN
    expect(a.name).toBe('sync');
    expect(b.name).toBe('rclone-2');
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:sync', 'init:rclone-2', 'app']);
  });

  test('a legacy sidecar is an ordinary container ahead of the app, without restartPolicy', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.placement).toBe(SidecarPlacement.CONTAINER);
    expect(containerOrder(spec)).toEqual(['sync', 'app']);
    expect(container(spec, 'sync').restartPolicy).toBeUndefined();
    expect(spec.initContainers).toBeUndefined();
  });

  test('user and group set the uid and gid', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'other', { workload: web, image: IMAGE, user: 101, group: 0 });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'other').securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 0, runAsNonRoot: true });
  });

  test('the uid and gid default to the image\'s own (imageUser, imageGroup)', () => {
    // GIVEN an image that runs as 101:101 (Envoy's)
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, imageUser: 101, imageGroup: 101 });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'proxy').securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 101 });
  });

  // Defect #4 (issue 12): the gid followed the uid (1000), or became another fixed
  // number, instead of staying the image's own.
  test.each([
    ['an image of its own (101:101)', { imageUser: 101, imageGroup: 101 }, 101],
    ['the default image identity (65532:65532)', {}, 65532],
  ])('user without group keeps the image\'s gid: %s', (_label, image, gid) => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN the user only sets the uid
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, ...image, user: 1000 });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'proxy').securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: gid, runAsNonRoot: true });
  });

  test('group without user keeps the image\'s uid', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, imageUser: 101, imageGroup: 101, group: 3000 });
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'proxy').securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 3000 });
  });

  test('command, args, env and ports are passed through', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'sync', {
      workload: web,
      image: IMAGE,
      command: ['rclone'],
      args: ['rcd', '--rc-addr=:5572'],
      envVariables: { RCLONE_VERBOSE: kplus.EnvValue.fromValue('1') },
      ports: [{ number: 5572, name: 'rc', prop: 'rcPort' }, { number: 9125, protocol: kplus.Protocol.UDP }],
    });

    // THEN the prop a port came from is for error messages only
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'sync');
    expect(c.command).toEqual(['rclone']);
    expect(c.args).toEqual(['rcd', '--rc-addr=:5572']);
    expect(c.env).toEqual([{ name: 'RCLONE_VERBOSE', value: '1' }]);
    expect(c.ports).toEqual([{ containerPort: 5572, name: 'rc' }, { containerPort: 9125, protocol: 'UDP' }]);
  });

  test('each writable path gets its own size-limited emptyDir; the root filesystem stays read-only', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'sync', { workload: web, image: IMAGE, writablePaths: ['/tmp', '/var/cache/rclone'] });
    new Sidecar(chart, 'other', { workload: web, image: IMAGE, writablePaths: ['/tmp'], writableSizeLimit: Size.mebibytes(16) });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([
      { name: 'sync-tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'sync-var-cache-rclone', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'other-tmp', emptyDir: { sizeLimit: '16Mi' } },
    ]);
    expect(container(spec, 'sync').volumeMounts).toEqual([
      { mountPath: '/tmp', name: 'sync-tmp', readOnly: false },
      { mountPath: '/var/cache/rclone', name: 'sync-var-cache-rclone', readOnly: false },
    ]);
    expect(container(spec, 'sync').securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  test('isSidecar tells sidecars from other constructs', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    expect(Sidecar.isSidecar(sidecar)).toBe(true);
    expect(Sidecar.isSidecar(web)).toBe(false);
    expect(Sidecar.isSidecar(undefined)).toBe(false);
    expect(Sidecar.isSidecar(null)).toBe(false);
  });

  test('kind, metrics and the alert pack are recorded for the alerts; kind defaults to generic, the metrics path to /metrics', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const pack = AlertPack.custom('rclone', [{ alert: 'RcloneErrors', expr: 'increase(rclone_errors_total{$sidecar}[10m]) > 0', summary: 'rclone fails to sync.' }]);

    // WHEN
    const a = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    const b = new Sidecar(chart, 'rclone', {
      workload: web,
      image: IMAGE,
      kind: 'rclone',
      ports: [{ number: 5572, name: 'metrics' }],
      metrics: { portName: 'metrics' },
      alertPack: pack,
    });

    // THEN
    expect(a.kind).toBe('generic');
    expect(a.metrics).toBeUndefined();
    expect(a.alertPack).toBeUndefined();
    expect(b.kind).toBe('rclone');
    expect(b.metrics).toEqual({ portName: 'metrics', path: '/metrics' });
    expect(b.alertPack).toBe(pack);
  });

  test('podAnnotations and podLabels go on the pod template', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'proxy', {
      workload: web,
      image: IMAGE,
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      podLabels: { 'proxy.example.com/enabled': 'true' },
    });

    // THEN
    const deployment = find(synth(chart), 'Deployment');
    expect(podMetadata(deployment).annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(podMetadata(deployment).labels).toMatchObject({ 'proxy.example.com/enabled': 'true' });
    expect(deployment.metadata.annotations).toBeUndefined();
  });

  test('appEnvVariables of the spec are set on the app containers', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'statsd', { workload: web, image: IMAGE, appEnvVariables: { STATSD_HOST: kplus.EnvValue.fromValue('127.0.0.1') } });
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'app').env).toEqual([{ name: 'STATSD_HOST', value: '127.0.0.1' }]);
    expect(container(spec, 'statsd').env).toBeUndefined();
  });
});

describe('companions', () => {
  test('run once, right before their sidecar, with its image, security, resources, env and volumes', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'logs', { workload: web, image: IMAGE, profile: SidecarProfile.LOG_COLLECTOR });

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', {
      workload: web,
      image: IMAGE,
      args: ['rcd'],
      envVariables: { RCLONE_VERBOSE: kplus.EnvValue.fromValue('1') },
      writablePaths: ['/tmp'],
      companions: [{ name: 'sync-once', args: ['copy', 'remote:', '/data'] }, { name: 'sync-check' }],
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.companions.map(c => c.name)).toEqual(['sync-once', 'sync-check']);
    expect(containerOrder(spec)).toEqual(['init:logs', 'init:sync-once', 'init:sync-check', 'init:sync', 'app']);
    const main = container(spec, 'sync');
    for (const name of ['sync-once', 'sync-check']) {
      const c = container(spec, name);
      expect(c.restartPolicy).toBeUndefined();
      expect(c.startupProbe).toBeUndefined();
      expect(c.image).toBe(IMAGE);
      expect(c.securityContext).toEqual(main.securityContext);
      expect(c.resources).toEqual(main.resources);
      expect(c.env).toEqual(main.env);
      expect(c.volumeMounts).toEqual(main.volumeMounts);
    }
    expect(container(spec, 'sync-once').args).toEqual(['copy', 'remote:', '/data']);
    expect(container(spec, 'sync-check').args).toEqual(['rcd']);
  });

  test('in LEGACY mode the companion is still an init container, the sidecar a container', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'agent', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, companions: [{ name: 'agent-init' }] });
    expect(containerOrder(podSpec(find(synth(chart), 'Deployment')))).toEqual(['init:agent-init', 'agent', 'app']);
  });

  test.each([
    ['invalid', 'Agent_Init', "[CONTAINER_NAME_INVALID] workload 'test/web', sidecar 'agent': 'Agent_Init' is not a valid container name."],
    ['taken', 'app', "[CONTAINER_NAME_TAKEN] workload 'test/web', sidecar 'agent': the pod already has a container named 'app'."],
  ])('a companion name that is %s is refused', (_label, name, message) => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'agent', { workload: web, image: IMAGE, companions: [{ name }] })).toThrow(message);
  });

  test('a companion named like its own sidecar is a synth error', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'agent', { workload: web, image: IMAGE, companions: [{ name: 'agent' }] });
    expect(() => Testing.synth(chart)).toThrow("[CONTAINER_NAME_TAKEN] workload 'test/web', sidecar 'agent': 2 containers of the pod are named 'agent'.");
  });
});

describe('probes, hooks and startup gating', () => {
  const probe = () => kplus.Probe.fromHttpGet('/ready', { port: 15000 });

  test('native: the startup probe gates the app; readiness and liveness are kept', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'proxy', {
      workload: web,
      image: IMAGE,
      startup: probe(),
      readiness: probe(),
      liveness: kplus.Probe.fromHttpGet('/server_info', { port: 15000 }),
      preStop: kplus.Handler.fromCommand(['sleep', '5']),
    });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'proxy');
    expect(sidecar.gatesStartup).toBe(true);
    expect(c.startupProbe.httpGet).toEqual({ path: '/ready', port: 15000, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/server_info');
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
  });

  test('native: a startup command is the gate, as a blocking postStart hook, and replaces the startup probe', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN a sidecar has both a startup probe and a startup command
    const sidecar = new Sidecar(chart, 'proxy', {
      workload: web,
      image: IMAGE,
      startup: probe(),
      readiness: probe(),
      startupCommand: ['wait-for-ready'],
      preStop: kplus.Handler.fromCommand(['drain']),
    });

    // THEN the hook gates: no startupProbe is rendered; readiness and the preStop stay
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'proxy');
    expect(sidecar.gatesStartup).toBe(true);
    expect(c.restartPolicy).toBe('Always');
    expect(c.startupProbe).toBeUndefined();
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.lifecycle).toEqual({
      postStart: { exec: { command: ['wait-for-ready'] } },
      preStop: { exec: { command: ['drain'] } },
    });
  });

  test('native with a startup command and no startup probe gates the app too', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, startupCommand: ['true'] });
    expect(sidecar.gatesStartup).toBe(true);
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'sync');
    expect(c.lifecycle).toEqual({ postStart: { exec: { command: ['true'] } } });
    expect(c.startupProbe).toBeUndefined();
  });

  test('native with neither a startup probe nor a startup command does not gate the app', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    expect(sidecar.gatesStartup).toBe(false);
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'sync').lifecycle).toBeUndefined();
  });

  test('legacy: the blocking postStart hook gates the app, and the sidecar is first in the list', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'proxy', {
      workload: web,
      image: IMAGE,
      mode: SidecarMode.LEGACY,
      startup: probe(),
      startupCommand: ['pilot-agent', 'wait'],
      preStop: kplus.Handler.fromCommand(['sleep', '5']),
    });

    // THEN the hook gates; LEGACY keeps the startup probe next to it
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.gatesStartup).toBe(true);
    expect(containerOrder(spec)).toEqual(['proxy', 'app']);
    expect(container(spec, 'proxy').lifecycle).toEqual({
      postStart: { exec: { command: ['pilot-agent', 'wait'] } },
      preStop: { exec: { command: ['sleep', '5'] } },
    });
    expect(container(spec, 'proxy').startupProbe.httpGet.path).toBe('/ready');
  });

  test('legacy without a startup command does not gate the app', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, startup: probe() });
    expect(sidecar.gatesStartup).toBe(false);
  });
});

describe('stopping with the app', () => {
  test('native: the stop-with-app command is the preStop hook, and the sidecar stops with the app', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'stats', { workload: web, image: IMAGE, stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.stopsWithApp).toBe(true);
    expect(sidecar.gatesStartup).toBe(false);
    expect(container(spec, 'stats').lifecycle).toEqual({ preStop: { exec: { command: ['sh', '-c', 'kill -TERM 1'] } } });
  });

  test('legacy: an ordinary container stops with the app anyway, and the command is not rendered', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'stats', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });
    expect(sidecar.stopsWithApp).toBe(false);
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'stats').lifecycle).toBeUndefined();
  });

  test('run once: no hooks', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'prepare', { workload: web, image: IMAGE, runOnce: true, stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'] });
    expect(sidecar.stopsWithApp).toBe(false);
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'prepare').lifecycle).toBeUndefined();
  });

  test.each([SidecarMode.NATIVE, SidecarMode.LEGACY])('%s: a spec with both a preStop and a stop-with-app command is refused', mode => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'stats', {
      workload: web,
      image: IMAGE,
      mode,
      preStop: kplus.Handler.fromCommand(['drain']),
      stopWithAppCommand: ['sh', '-c', 'kill -TERM 1'],
    })).toThrow("[PRE_STOP_CONFLICT] workload 'test/web', sidecar 'stats': 'preStop' and 'stopWithAppCommand' are both set, and a container has one preStop hook. Fix: keep 'stopWithAppCommand' for a sidecar the app does not need while it stops, or 'preStop' (a drain) for one it does.");
  });
});

describe('run-once forms', () => {
  test('runOnce renders an ordinary init container in any mode, without probes, hooks or budget', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const once = new Sidecar(chart, 'prepare', {
      workload: web,
      image: IMAGE,
      mode: SidecarMode.LEGACY,
      runOnce: true,
      startup: kplus.Probe.fromCommand(['true']),
      preStop: kplus.Handler.fromCommand(['true']),
      startupCommand: ['true'],
      shutdownBudget: Duration.seconds(20),
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(once.placement).toBe(SidecarPlacement.INIT_CONTAINER);
    expect(once.gatesStartup).toBe(false);
    expect(once.stopsWithApp).toBe(false);
    const c = container(spec, 'prepare');
    expect(containerOrder(spec)).toEqual(['init:prepare', 'app']);
    expect(c.restartPolicy).toBeUndefined();
    expect(c.startupProbe).toBeUndefined();
    expect(c.lifecycle).toBeUndefined();
    expect(spec.terminationGracePeriodSeconds).toBe(30);
  });

  test('legacyJobInitContainer: the Job-safe legacy form on a Job, an ordinary legacy sidecar elsewhere', () => {
    // GIVEN
    const chart = newChart();
    const j = job(chart);
    const web = webDeployment(chart);

    // WHEN
    const onJob = new Sidecar(chart, 'secrets', { workload: j, image: IMAGE, mode: SidecarMode.LEGACY, legacyJobInitContainer: true });
    const onWeb = new Sidecar(chart, 'secrets-web', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, legacyJobInitContainer: true });
    const nativeOnJob = new Sidecar(chart, 'secrets-native', { workload: j, image: IMAGE, legacyJobInitContainer: true, name: 'agent' });

    // THEN
    expect(onJob.placement).toBe(SidecarPlacement.INIT_CONTAINER);
    expect(onWeb.placement).toBe(SidecarPlacement.CONTAINER);
    expect(nativeOnJob.placement).toBe(SidecarPlacement.NATIVE_SIDECAR);
    const manifests = synth(chart);
    expect(containerOrder(podSpec(find(manifests, 'Job')))).toEqual(['init:secrets', 'init:agent', 'task']);
    expect(container(podSpec(find(manifests, 'Job')), 'secrets').restartPolicy).toBeUndefined();
    expect(containerOrder(podSpec(find(manifests, 'Deployment')))).toEqual(['secrets-web', 'app']);
  });
});

describe('volumes and app environment', () => {
  test('a volume with an appPath is mounted into the sidecar and into every app container, without subPath', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [
        { name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 },
        { name: 'worker', image: 'myapp-worker:v1.0.0' },
      ],
    });

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    const volume = sidecar.addVolume({
      name: 'static-content',
      source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.gibibytes(1) }),
      path: '/data',
      appPath: '/srv/static',
      appReadOnly: true,
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(volume.name).toBe('static-content');
    expect(spec.volumes).toEqual([{ name: 'static-content', emptyDir: { sizeLimit: '1024Mi' } }]);
    expect(container(spec, 'sync').volumeMounts).toEqual([{ mountPath: '/data', name: 'static-content', readOnly: false }]);
    for (const app of ['app', 'worker']) {
      expect(container(spec, app).volumeMounts).toEqual([{ mountPath: '/srv/static', name: 'static-content', readOnly: true }]);
    }
  });

  test('the sidecar mounts read-only where it only reads; a volume without appPath stays out of the app', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'shipper', {
      workload: web,
      image: IMAGE,
      volumes: [
        { name: 'app-logs', source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(500) }), path: '/var/log/app', readOnly: true, appPath: '/var/log/app' },
        { name: 'shipper-state', source: SidecarVolumeSource.emptyDir({ sizeLimit: Size.mebibytes(16) }), path: '/state' },
      ],
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'shipper').volumeMounts).toEqual([
      { mountPath: '/var/log/app', name: 'app-logs', readOnly: true },
      { mountPath: '/state', name: 'shipper-state', readOnly: false },
    ]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/var/log/app', name: 'app-logs', readOnly: false }]);
  });

  test('a reuse volume takes the pod\'s volume of that name, never adds it twice', () => {
    // GIVEN two sidecars that share one volume by name, and the app that already mounts it
    const chart = newChart();
    const web = webDeployment(chart);
    const own = kplus.Volume.fromEmptyDir(chart, 'own', 'app-logs', { sizeLimit: Size.mebibytes(100) });
    web.containers[0].mount('/var/log/app', own);

    // WHEN
    const a = new Sidecar(chart, 'a', { workload: web, image: IMAGE });
    const va = a.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir(), path: '/logs', readOnly: true, reuse: true });
    const b = new Sidecar(chart, 'b', { workload: web, image: IMAGE });
    const vb = b.addVolume({ name: 'app-logs', source: SidecarVolumeSource.emptyDir(), path: '/logs', readOnly: true, appPath: '/var/log/app', reuse: true });

    // THEN
    expect(va).toBe(own);
    expect(vb).toBe(own);
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'app-logs', emptyDir: { sizeLimit: '100Mi' } }]);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/var/log/app', name: 'app-logs' }]);
    for (const name of ['a', 'b']) {
      expect(container(spec, name).volumeMounts).toEqual([{ mountPath: '/logs', name: 'app-logs', readOnly: true }]);
    }
  });

  test('appContainers limits mounts and env to the named app containers', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [
        { name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 },
        { name: 'worker', image: 'myapp-worker:v1.0.0' },
      ],
    });

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, appContainers: ['worker'] });
    sidecar.addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data', appPath: '/data' });
    sidecar.addAppEnvVariable('SYNC_DIR', kplus.EnvValue.fromValue('/data'));

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
    expect(container(spec, 'app').env).toBeUndefined();
    expect(container(spec, 'worker').volumeMounts).toEqual([{ mountPath: '/data', name: 'data', readOnly: false }]);
    expect(container(spec, 'worker').env).toEqual([{ name: 'SYNC_DIR', value: '/data' }]);
  });

  test('app env: a variable the app already sets is left alone', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080, envVariables: { HTTP_PROXY: kplus.EnvValue.fromValue('http://corp:3128') } }],
    });

    // WHEN
    const sidecar = new Sidecar(chart, 'proxy', { workload: web, image: IMAGE });
    sidecar.addAppEnvVariable('HTTP_PROXY', kplus.EnvValue.fromValue('http://127.0.0.1:15001'));
    sidecar.addAppEnvVariable('NO_PROXY', kplus.EnvValue.fromValue('localhost'));

    // THEN
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'app').env).toEqual([
      { name: 'HTTP_PROXY', value: 'http://corp:3128' },
      { name: 'NO_PROXY', value: 'localhost' },
    ]);
  });

  test('synthesizing twice gives the same pod (mounts, env and order are applied once)', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'a.conf': 'x' } });
    sidecar.addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data', appPath: '/data' });
    sidecar.addAppEnvVariable('SYNC_DIR', kplus.EnvValue.fromValue('/data'));
    const first = synth(chart);
    expect(synth(chart)).toEqual(first);
  });
});

describe('default mode', () => {
  test('setDefaultMode switches every sidecar below the scope; the nearest scope wins; an explicit mode wins', () => {
    // GIVEN an app switched to LEGACY, with one chart switched back to NATIVE
    const app = Testing.app();
    Sidecar.setDefaultMode(app, SidecarMode.LEGACY);
    const old = new Chart(app, 'old');
    const modern = new Chart(app, 'modern');
    Sidecar.setDefaultMode(modern, SidecarMode.NATIVE);

    // WHEN
    const a = new Sidecar(old, 'a', { workload: webDeployment(old), image: IMAGE });
    const b = new Sidecar(modern, 'b', { workload: webDeployment(modern), image: IMAGE });
    const c = new Sidecar(old, 'c', { workload: webDeployment(old, 'other'), image: IMAGE, mode: SidecarMode.NATIVE });

    // THEN
    expect(a.mode).toBe(SidecarMode.LEGACY);
    expect(b.mode).toBe(SidecarMode.NATIVE);
    expect(c.mode).toBe(SidecarMode.NATIVE);
    expect(Sidecar.defaultModeOf(old)).toBe(SidecarMode.LEGACY);
    expect(Sidecar.defaultModeOf(new App())).toBe(SidecarMode.NATIVE);
    expect(containerOrder(podSpec(find(synth(old), 'Deployment', 'old-web')))).toEqual(['a', 'app']);
  });

  test('setting the default after sidecars exist in the scope is DEFAULT_MODE_TOO_LATE', () => {
    const chart = newChart();
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), image: IMAGE });
    expect(() => Sidecar.setDefaultMode(chart, SidecarMode.LEGACY)).toThrow(
      "[DEFAULT_MODE_TOO_LATE] scope 'test': the default sidecar mode was set after sidecar 'sync' was created in it (at 'test/sync'). Fix: call Sidecar.setDefaultMode() before creating the sidecars of this scope.",
    );
  });

  test('an unknown default mode is ENUM_INVALID', () => {
    const chart = newChart();
    expect(() => Sidecar.setDefaultMode(chart, 'OLD' as SidecarMode)).toThrow(
      "[ENUM_INVALID] scope 'test': 'mode' 'OLD' is not one of the SidecarMode values. Fix: pass SidecarMode.NATIVE or SidecarMode.LEGACY.",
    );
  });
});

describe('construction errors name the code, the workload, the sidecar and the fix', () => {
  const cases: Array<[string, (chart: Chart, web: kplus.Deployment) => void, string]> = [
    ['invalid name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, name: 'Log_Shipper' }),
      "[CONTAINER_NAME_INVALID] workload 'test/web', sidecar 'Log_Shipper': 'Log_Shipper' is not a valid container name. Fix: use a DNS label: lower-case letters, digits and '-', at most 63 characters, set with the 'name' prop."],
    ['name taken by the app', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, name: 'app' }),
      "[CONTAINER_NAME_TAKEN] workload 'test/web', sidecar 'app': the pod already has a container named 'app'. Fix: give this sidecar another name with the 'name' prop."],
    ['name taken by another sidecar', (c, w) => {
      new Sidecar(c, 'sync', { workload: w, image: IMAGE });
      new Sidecar(c, 'sync2', { workload: w, image: IMAGE, name: 'sync' });
    }, "[CONTAINER_NAME_TAKEN] workload 'test/web', sidecar 'sync': the pod already has a container named 'sync'. Fix: give this sidecar another name with the 'name' prop."],
    ['latest image', (c, w) => new Sidecar(c, 's', { workload: w, image: 'rclone/rclone:latest' }),
      "[IMAGE_NOT_PINNED] workload 'test/web', sidecar 's': image 'rclone/rclone:latest' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['untagged image', (c, w) => new Sidecar(c, 's', { workload: w, image: 'registry:5000/rclone' }),
      "[IMAGE_NOT_PINNED] workload 'test/web', sidecar 's': image 'registry:5000/rclone' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['empty image', (c, w) => new Sidecar(c, 's', { workload: w, image: '' }),
      "[IMAGE_NOT_PINNED] workload 'test/web', sidecar 's': image '' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['unknown mode', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, mode: 'OLD' as SidecarMode }),
      "[ENUM_INVALID] workload 'test/web', sidecar 's': 'mode' 'OLD' is not one of the SidecarMode values. Fix: pass SidecarMode.NATIVE or SidecarMode.LEGACY."],
    ['start rank', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, startRank: NaN }),
      "[START_RANK_INVALID] workload 'test/web', sidecar 's': start rank NaN is not a number. Fix: pass a finite number as 'startRank' (100 log collectors, 200 secret injectors, 300 proxies, 400 others)."],
    ['fractional budget', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, shutdownBudget: Duration.millis(1500) }),
      "[DURATION_INVALID] workload 'test/web', sidecar 's': 'shutdownBudget' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as 'shutdownBudget'."],
    ['limit below request', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, profile: SidecarProfile.PROXY, resources: { memory: { limit: Size.mebibytes(64) } } }),
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': memory limit 64Mi is below the memory request 128Mi. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)."],
    ['fractional CPU', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, resources: { cpu: { request: kplus.Cpu.millis(0.5) } } }),
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': CPU request '0.5m' is not a positive CPU quantity in whole millicores. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)."],
    ['invalid port', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 70000 }] }),
      "[PORT_INVALID] workload 'test/web', sidecar 's': 'ports' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'ports'."],
    ['invalid port, named by its prop', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 0, name: 'metrics', prop: 'metricsPort' }] }),
      "[PORT_INVALID] workload 'test/web', sidecar 's': 'metricsPort' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'metricsPort'."],
    ['invalid port, named by its name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 0, name: 'metrics' }] }),
      "[PORT_INVALID] workload 'test/web', sidecar 's': 'metrics' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'metrics'."],
    ['invalid app port', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, appPorts: [{ number: 0, prop: 'appPort' }] }),
      "[PORT_INVALID] workload 'test/web', sidecar 's': 'appPort' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'appPort'."],
    ['invalid port name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'sidecar-metrics-port' }] }),
      "[PORT_NAME_INVALID] workload 'test/web', sidecar 's': port name 'sidecar-metrics-port' is not valid. Fix: use at most 15 lower-case letters, digits and single '-', with at least one letter."],
    ['metrics port not a port', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'http' }], metrics: { portName: 'metrics' } }),
      "[METRICS_PORT_UNKNOWN] workload 'test/web', sidecar 's': the metrics port 'metrics' is not one of the sidecar's named ports. Fix: name the port that serves the metrics in 'ports' and pass that name as 'metrics.portName'."],
    ['metrics path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'metrics' }], metrics: { portName: 'metrics', path: 'metrics' } }),
      "[METRICS_PATH_INVALID] workload 'test/web', sidecar 's': metrics path 'metrics' is not an absolute URL path. Fix: pass a path such as '/metrics'."],
    ['root user', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, user: 0 }),
      "[USER_INVALID] workload 'test/web', sidecar 's': uid 0 is not a non-root user. Fix: run the sidecar as the image's own non-zero uid ('user' prop)."],
    ['root image user', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, imageUser: 0 }),
      "[USER_INVALID] workload 'test/web', sidecar 's': uid 0 is not a non-root user. Fix: run the sidecar as the image's own non-zero uid ('user' prop)."],
    ['negative group', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, group: -1 }),
      "[USER_INVALID] workload 'test/web', sidecar 's': gid -1 is not valid. Fix: pass a non-negative integer as 'group'."],
    ['relative writable path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, writablePaths: ['tmp'] }),
      "[PATH_INVALID] workload 'test/web', sidecar 's': 'writablePaths' 'tmp' is not a canonical absolute path. Fix: pass an absolute path such as '/var/log/app' as 'writablePaths' (no '.', '..', '//', trailing '/' or whitespace)."],
    ['relative config dir', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, configFiles: { 'a.conf': 'x' }, configDir: 'etc/s' }),
      "[PATH_INVALID] workload 'test/web', sidecar 's': 'configDir' 'etc/s' is not a canonical absolute path. Fix: pass an absolute path such as '/var/log/app' as 'configDir' (no '.', '..', '//', trailing '/' or whitespace)."],
    ['volume path with ..', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data/../etc' }),
      "[PATH_INVALID] workload 'test/web', sidecar 's': 'volumes.path' '/data/../etc' is not a canonical absolute path. Fix: pass an absolute path such as '/var/log/app' as 'volumes.path' (no '.', '..', '//', trailing '/' or whitespace)."],
    ['relative app path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).addVolume({ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data', appPath: 'data' }),
      "[PATH_INVALID] workload 'test/web', sidecar 's': 'volumes.appPath' 'data' is not a canonical absolute path. Fix: pass an absolute path such as '/var/log/app' as 'volumes.appPath' (no '.', '..', '//', trailing '/' or whitespace)."],
    ['volume name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, volumes: [{ name: 'Data', source: SidecarVolumeSource.emptyDir(), path: '/data' }] }),
      "[NAME_INVALID] workload 'test/web', sidecar 's': 'volumes.name' 'Data' is not a DNS label. Fix: use lower-case letters, digits and '-', at most 63 characters, as 'volumes.name'."],
    ['volume writers', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, volumes: [{ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data', writers: 'APP' as any }] }),
      "[ENUM_INVALID] workload 'test/web', sidecar 's': 'volumes.writers' 'APP' is not one of the SidecarVolumeWriters values. Fix: pass SidecarVolumeWriters.ANY_CONTAINER or SidecarVolumeWriters.SIDECAR_ONLY."],
    ['two volumes at one path', (c, w) => new Sidecar(c, 's', {
      workload: w,
      image: IMAGE,
      writablePaths: ['/data'],
      volumes: [{ name: 'data', source: SidecarVolumeSource.emptyDir(), path: '/data' }],
    }), "[MOUNT_PATH_TAKEN] workload 'test/web', sidecar 's': container 's' would mount both 's-data' and 'data' at '/data'. Fix: mount each volume at its own path (change the sidecar's path props)."],
    ['app env name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).addAppEnvVariable('1PROXY', kplus.EnvValue.fromValue('x')),
      "[ENV_NAME_INVALID] workload 'test/web', sidecar 's': '1PROXY' in 'appEnvVariables' is not a valid environment variable name. Fix: use letters, digits, '_', '-' and '.', not starting with a digit (the API server refuses other names)."],
    ['app env name in the spec', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, appEnvVariables: { 'NO PROXY': kplus.EnvValue.fromValue('x') } }),
      "[ENV_NAME_INVALID] workload 'test/web', sidecar 's': 'NO PROXY' in 'appEnvVariables' is not a valid environment variable name."],
    // Found by the property-based tests: these reached cdk8s-plus's own addPort() errors.
    ['same port twice', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9102, protocol: kplus.Protocol.UDP }, { number: 9102, protocol: kplus.Protocol.UDP }] }),
      "[PORT_DUPLICATE] workload 'test/web', sidecar 's': port 9102/UDP is listed twice. Fix: list each port of the sidecar once."],
    ['same port twice, from two props', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9102, prop: 'metricsPort' }, { number: 9102, prop: 'statsPort' }] }),
      "[PORT_DUPLICATE] workload 'test/web', sidecar 's': port 9102/TCP is listed twice ('metricsPort' and 'statsPort'). Fix: give 'metricsPort' and 'statsPort' different port numbers."],
    ['same port name twice', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9102, name: 'metrics' }, { number: 9103, name: 'metrics' }] }),
      "[PORT_DUPLICATE] workload 'test/web', sidecar 's': two ports are named 'metrics'. Fix: give each port of the sidecar its own name."],
    // Found by the property-based tests: the API server refuses these names.
    ['sidecar env name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, envVariables: { 'LOG\nLEVEL': kplus.EnvValue.fromValue('x') } }),
      "[ENV_NAME_INVALID] workload 'test/web', sidecar 's': 'LOG\\nLEVEL' in 'envVariables' is not a valid environment variable name. Fix: use letters, digits, '_', '-' and '.', not starting with a digit (the API server refuses other names)."],
    // Found by the property-based tests: a user's memory emptyDir reached the pod without a limit.
    ['unlimited memory emptyDir', (c, w) => new Sidecar(c, 's', {
      workload: w,
      image: IMAGE,
      volumes: [{ name: 'shm', source: SidecarVolumeSource.emptyDir({ memory: true }), path: '/dev/shm' }],
    }), "[VOLUME_UNBOUNDED] workload 'test/web', sidecar 's': volume 'shm' is a memory-backed emptyDir without a size limit. Fix: give it a size limit."],
  ];

  test.each(cases)('%s', (_label, build, message) => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN / THEN
    expect(() => build(chart, web)).toThrow(message);
  });

  test('a failed sidecar leaves no half-registered state behind', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 's', { workload: web, image: 'x:latest' })).toThrow(/^\[IMAGE_NOT_PINNED\] /);
    expect(web.initContainers).toHaveLength(0);
    expect(PodSidecars.of(web).sidecars).toHaveLength(0);
  });
});

describe('config files', () => {
  test('become a ConfigMap in the workload\'s namespace, mounted read-only at /etc/<name>', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'rclone.conf': '[s3]\ntype = s3\n' } });

    // THEN
    const manifests = synth(chart);
    const configMap = find(manifests, 'ConfigMap');
    expect(configMap.metadata.namespace).toBe('production');
    expect(configMap.metadata.name).toBe(sidecar.configMap!.name);
    expect(configMap.data).toEqual({ 'rclone.conf': '[s3]\ntype = s3\n' });
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'sync-config', configMap: { name: configMap.metadata.name } }]);
    expect(container(spec, 'sync').volumeMounts).toEqual([{ mountPath: '/etc/sync', name: 'sync-config', readOnly: true }]);
    expect(container(spec, 'app').volumeMounts).toBeUndefined();
  });

  // The API server refuses ConfigMap keys other than [-._a-zA-Z0-9]+; the schema check
  // of synth does not look at keys, so the pod would fail only at apply.
  test.each(['conf/a.conf', 'my config', '', '..data'])('a config file name %p the API server refuses is an error naming configFiles', file => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { [file]: 'x' } })).toThrow(
      /^\[CONFIG_FILE_INVALID\] workload 'test\/web', sidecar 'sync': config file name .* in 'configFiles' is not a ConfigMap key/,
    );
  });

  test('config files that are all empty are still files of the ConfigMap (found by the property tests)', () => {
    // GIVEN a sidecar whose only config file is empty
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'filters.txt': '' } });
    // WHEN
    const configMap = find(synth(chart), 'ConfigMap');
    // THEN cdk8s would have left the empty map out
    expect(configMap.data).toEqual({ 'filters.txt': '' });
  });

  test('a config file without text content is an error', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'a.conf': 42 as unknown as string } })).toThrow(
      "[CONFIG_FILE_INVALID] workload 'test/web', sidecar 'sync': config file 'a.conf' in 'configFiles' has no text content. Fix: pass each file's content as a string.",
    );
  });

  // The API server refuses such keys and values; the schema check of synth does not.
  test.each<[string, { podAnnotations?: { [k: string]: string }; podLabels?: { [k: string]: string } }, string]>([
    ['an annotation key with a space', { podAnnotations: { 'my key': 'x' } }, 'pod label or annotation key "my key" is not a valid key'],
    ['a label key with an upper-case prefix', { podLabels: { 'Example.com/team': 'x' } }, 'pod label or annotation key "Example.com/team" is not a valid key'],
    ['an annotation without a string value', { podAnnotations: { team: 1 as unknown as string } }, 'pod label or annotation \'team\' has no string value'],
    ['a label value with a space', { podLabels: { team: 'a b' } }, 'pod label \'team\' has the value "a b", which is not a valid label value'],
  ])('pod metadata: %s is an error', (_name, metadata, problem) => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'sync', { workload: web, image: IMAGE, ...metadata })).toThrow(
      `[POD_METADATA_INVALID] workload 'test/web', sidecar 'sync': ${problem}. Fix: `,
    );
  });

  test('configDir moves the mount', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'rclone.conf': '' }, configDir: '/config/rclone' });
    expect(container(podSpec(find(synth(chart), 'Deployment')), 'sync').volumeMounts).toEqual([
      { mountPath: '/config/rclone', name: 'sync-config', readOnly: true },
    ]);
  });

  test('annotate the pod template with configDigest, which follows the files and not their order', () => {
    // GIVEN
    const make = (files: { [name: string]: string }) => {
      const chart = newChart();
      return { chart, sidecar: new Sidecar(chart, 'a', { workload: webDeployment(chart), image: IMAGE, configFiles: files }) };
    };

    // WHEN
    const { chart, sidecar: a } = make({ 'a.conf': 'x = 1', 'b.conf': 'y = 2' });
    const { sidecar: same } = make({ 'b.conf': 'y = 2', 'a.conf': 'x = 1' });
    const { sidecar: moved } = make({ 'a.conf': 'x = 1y = 2', 'b.conf': '' });
    const { sidecar: renamed } = make({ 'a.conf': 'x = 1', 'c.conf': 'y = 2' });

    // THEN
    expect(a.configDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(same.configDigest).toBe(a.configDigest);
    expect(moved.configDigest).not.toBe(a.configDigest);
    expect(renamed.configDigest).not.toBe(a.configDigest);
    expect(podMetadata(find(synth(chart), 'Deployment')).annotations).toEqual({ 'config.cdk8s-sidecars.io/a': a.configDigest });

    // AND the digest is the documented one, computed here and not by the library: sha256 over
    // each file's name and content, each NUL-terminated, the files sorted by name; the first
    // 16 hex characters.
    const documented = (files: { [name: string]: string }) => {
      const hash = createHash('sha256');
      for (const name of Object.keys(files).sort()) {
        hash.update(Buffer.from(name, 'utf8')).update(Buffer.from([0]));
        hash.update(Buffer.from(files[name], 'utf8')).update(Buffer.from([0]));
      }
      return hash.digest('hex').substring(0, 16);
    };
    expect(podMetadata(find(synth(chart), 'Deployment')).annotations['config.cdk8s-sidecars.io/a'])
      .toBe(documented({ 'a.conf': 'x = 1', 'b.conf': 'y = 2' }));
    expect(moved.configDigest).toBe(documented({ 'a.conf': 'x = 1y = 2', 'b.conf': '' }));
    expect(renamed.configDigest).toBe(documented({ 'c.conf': 'y = 2', 'a.conf': 'x = 1' }));
  });

  test('no config files: no ConfigMap, no digest, no annotation', () => {
    const chart = newChart();
    const sidecar = new Sidecar(chart, 'sync', { workload: webDeployment(chart), image: IMAGE, configFiles: {} });
    const manifests = synth(chart);
    expect(sidecar.configMap).toBeUndefined();
    expect(sidecar.configDigest).toBeUndefined();
    expect(manifests.filter(m => m.kind === 'ConfigMap')).toHaveLength(0);
    expect(podMetadata(find(manifests, 'Deployment')).annotations).toBeUndefined();
  });

  // Defect #5 (issue 12): the ConfigMap went to the namespace of the sidecar's chart,
  // where the pod cannot mount it.
  test('a sidecar created in a chart of another namespace puts its ConfigMap in the workload\'s namespace', () => {
    // GIVEN a workload in 'production' and a platform chart in 'platform'
    const app = Testing.app();
    const shop = new Chart(app, 'shop', { namespace: 'production' });
    const platform = new Chart(app, 'platform', { namespace: 'platform' });
    const web = webDeployment(shop);

    // WHEN
    new Sidecar(platform, 'sync', { workload: web, image: IMAGE, configFiles: { 'rclone.conf': '' } });

    // THEN
    const configMap = find(synth(platform), 'ConfigMap');
    expect(configMap.metadata.namespace).toBe(find(synth(shop), 'Deployment').metadata.namespace);
    expect(configMap.metadata.namespace).toBe('production');
  });

  test('a workload with a namespace of its own gets its ConfigMap there', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { metadata: { namespace: 'shop' }, containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    new Sidecar(chart, 'sync', { workload: web, image: IMAGE, configFiles: { 'rclone.conf': '' } });
    expect(find(synth(chart), 'ConfigMap').metadata.namespace).toBe('shop');
  });

  // Defect #5, second form: a workload whose chart has no namespace runs in the namespace
  // it is applied to; a ConfigMap pinned to the sidecar's chart namespace is not there.
  test('a workload without a namespace gets a ConfigMap without one, whatever the sidecar\'s chart says', () => {
    // GIVEN
    const app = Testing.app();
    const shop = new Chart(app, 'shop');
    const platform = new Chart(app, 'platform', { namespace: 'platform' });
    const web = webDeployment(shop);

    // WHEN
    new Sidecar(platform, 'sync', { workload: web, image: IMAGE, configFiles: { 'rclone.conf': '' } });

    // THEN
    expect(find(synth(shop), 'Deployment').metadata.namespace).toBeUndefined();
    expect(find(synth(platform), 'ConfigMap').metadata.namespace).toBeUndefined();
  });

  // Defect #1, generic form: a path prop that meets the config dir gave two mounts at one path.
  test('a writable path at the config dir is MOUNT_PATH_TAKEN at construction', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new Sidecar(chart, 'agent', { workload: web, image: IMAGE, writablePaths: ['/etc/agent'], configFiles: { 'agent.hcl': '' } })).toThrow(
      "[MOUNT_PATH_TAKEN] workload 'test/web', sidecar 'agent': container 'agent' would mount both 'agent-etc-agent' and 'agent-config' at '/etc/agent'.",
    );
  });
});
