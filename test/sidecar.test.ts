import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  PodSidecars, Sidecar, SidecarKind, SidecarMode, SidecarPlacement, SidecarProfile,
} from '../src';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment } from './util';

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
    new Sidecar(chart, 'sync', { workload: web, image: IMAGE, user: 1000 });
    new Sidecar(chart, 'other', { workload: web, image: IMAGE, user: 101, group: 0 });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'sync').securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    expect(container(spec, 'other').securityContext).toMatchObject({ runAsUser: 101, runAsGroup: 0, runAsNonRoot: true });
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
      ports: [{ number: 5572, name: 'rc' }],
    });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'sync');
    expect(c.command).toEqual(['rclone']);
    expect(c.args).toEqual(['rcd', '--rc-addr=:5572']);
    expect(c.env).toEqual([{ name: 'RCLONE_VERBOSE', value: '1' }]);
    expect(c.ports).toEqual([{ containerPort: 5572, name: 'rc' }]);
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

  test('kind and metrics are recorded for the alerts; the metrics path defaults to /metrics', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const a = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    const b = new Sidecar(chart, 'exporter', {
      workload: web,
      image: 'prom/statsd-exporter:v0.28.0',
      kind: SidecarKind.STATSD_EXPORTER,
      ports: [{ number: 9102, name: 'metrics' }],
      metrics: { portName: 'metrics' },
    });
    expect(a.kind).toBe(SidecarKind.GENERIC);
    expect(a.metrics).toBeUndefined();
    expect(b.kind).toBe(SidecarKind.STATSD_EXPORTER);
    expect(b.metrics).toEqual({ portName: 'metrics', path: '/metrics' });
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
      startupProbe: probe(),
      readiness: probe(),
      liveness: kplus.Probe.fromHttpGet('/server_info', { port: 15000 }),
      preStop: kplus.Handler.fromCommand(['sleep', '5']),
      legacyStartupCommand: ['wait-for-ready'],
    });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'proxy');
    expect(sidecar.gatesStartup).toBe(true);
    expect(c.startupProbe.httpGet).toEqual({ path: '/ready', port: 15000, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet.path).toBe('/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/server_info');
    // the legacy startup command is for legacy mode only
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
  });

  test('native without a startup probe does not gate the app', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE, legacyStartupCommand: ['true'] });
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
      startupProbe: probe(),
      legacyStartupCommand: ['pilot-agent', 'wait'],
      preStop: kplus.Handler.fromCommand(['sleep', '5']),
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(sidecar.gatesStartup).toBe(true);
    expect(containerOrder(spec)).toEqual(['proxy', 'app']);
    expect(container(spec, 'proxy').lifecycle).toEqual({
      postStart: { exec: { command: ['pilot-agent', 'wait'] } },
      preStop: { exec: { command: ['sleep', '5'] } },
    });
  });

  test('legacy without a startup command does not gate the app', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const sidecar = new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, startupProbe: probe() });
    expect(sidecar.gatesStartup).toBe(false);
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
      startupProbe: kplus.Probe.fromCommand(['true']),
      preStop: kplus.Handler.fromCommand(['true']),
      legacyStartupCommand: ['true'],
      shutdownBudget: Duration.seconds(20),
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(once.placement).toBe(SidecarPlacement.INIT_CONTAINER);
    expect(once.gatesStartup).toBe(false);
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

describe('shared volumes and app environment', () => {
  test('a shared volume is mounted into the sidecar and into every app container, without subPath', () => {
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
    const volume = sidecar.shareVolume({
      volume: kplus.Volume.fromEmptyDir(chart, 'static', 'static-content', { sizeLimit: Size.gibibytes(1) }),
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

  test('the sidecar mounts read-only where it only reads; mountInApp false keeps the app out', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'shipper', {
      workload: web,
      image: IMAGE,
      sharedVolumes: [
        { volume: kplus.Volume.fromEmptyDir(chart, 'logs', 'app-logs', { sizeLimit: Size.mebibytes(500) }), path: '/var/log/app', readOnly: true },
        { volume: kplus.Volume.fromEmptyDir(chart, 'state', 'shipper-state', { sizeLimit: Size.mebibytes(16) }), path: '/state', mountInApp: false },
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

  test('a volume name already in the pod is reused, never added twice', () => {
    // GIVEN two sidecars that share one volume by name, and the app that already mounts it
    const chart = newChart();
    const web = webDeployment(chart);
    const own = kplus.Volume.fromEmptyDir(chart, 'own', 'app-logs', { sizeLimit: Size.mebibytes(100) });
    web.containers[0].mount('/var/log/app', own);

    // WHEN
    const a = new Sidecar(chart, 'a', { workload: web, image: IMAGE });
    const va = a.shareVolume({ volume: kplus.Volume.fromEmptyDir(chart, 'logs-a', 'app-logs'), path: '/logs', readOnly: true });
    const b = new Sidecar(chart, 'b', { workload: web, image: IMAGE });
    const vb = b.shareVolume({ volume: kplus.Volume.fromEmptyDir(chart, 'logs-b', 'app-logs'), path: '/logs', readOnly: true, appPath: '/var/log/app' });

    // THEN
    expect(va).toBe(own);
    expect(vb).toBe(own);
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes).toEqual([{ name: 'app-logs', emptyDir: { sizeLimit: '100Mi' } }]);
    expect(container(spec, 'app').volumeMounts).toEqual([
      { mountPath: '/var/log/app', name: 'app-logs' },
      { mountPath: '/logs', name: 'app-logs', readOnly: false },
    ]);
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
    sidecar.shareVolume({ volume: kplus.Volume.fromEmptyDir(chart, 'd', 'data'), path: '/data' });
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
    const sidecar = new Sidecar(chart, 'sync', { workload: web, image: IMAGE });
    sidecar.shareVolume({ volume: kplus.Volume.fromEmptyDir(chart, 'd', 'data'), path: '/data' });
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

  test('setting the default after sidecars exist in the scope is an error', () => {
    const chart = newChart();
    new Sidecar(chart, 'sync', { workload: webDeployment(chart), image: IMAGE });
    expect(() => Sidecar.setDefaultMode(chart, SidecarMode.LEGACY)).toThrow(
      "scope 'test': the default sidecar mode was set after sidecar 'sync' was created in it (at 'test/sync'). Fix: call Sidecar.setDefaultMode() before creating the sidecars of this scope.",
    );
  });

  test('an unknown default mode is an error', () => {
    const chart = newChart();
    expect(() => Sidecar.setDefaultMode(chart, 'OLD' as SidecarMode)).toThrow(
      "scope 'test': 'OLD' is not a sidecar mode. Fix: pass SidecarMode.NATIVE or SidecarMode.LEGACY.",
    );
  });
});

describe('construction errors name the workload, the sidecar and the fix', () => {
  const cases: Array<[string, (chart: Chart, web: kplus.Deployment) => void, string]> = [
    ['invalid name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, name: 'Log_Shipper' }),
      "workload 'test/web', sidecar 'Log_Shipper': 'Log_Shipper' is not a valid container name. Fix: use a DNS label: lower-case letters, digits and '-', at most 63 characters, set with the 'name' prop."],
    ['name taken by the app', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, name: 'app' }),
      "workload 'test/web', sidecar 'app': the pod already has a container named 'app'. Fix: give this sidecar another name with the 'name' prop."],
    ['name taken by another sidecar', (c, w) => {
      new Sidecar(c, 'sync', { workload: w, image: IMAGE });
      new Sidecar(c, 'sync2', { workload: w, image: IMAGE, name: 'sync' });
    }, "workload 'test/web', sidecar 'sync': the pod already has a container named 'sync'. Fix: give this sidecar another name with the 'name' prop."],
    ['latest image', (c, w) => new Sidecar(c, 's', { workload: w, image: 'rclone/rclone:latest' }),
      "workload 'test/web', sidecar 's': image 'rclone/rclone:latest' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['untagged image', (c, w) => new Sidecar(c, 's', { workload: w, image: 'registry:5000/rclone' }),
      "workload 'test/web', sidecar 's': image 'registry:5000/rclone' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['empty image', (c, w) => new Sidecar(c, 's', { workload: w, image: '' }),
      "workload 'test/web', sidecar 's': image '' is not pinned. Fix: use an exact tag or digest, never 'latest' or no tag."],
    ['unknown mode', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, mode: 'OLD' as SidecarMode }),
      "workload 'test/web', sidecar 's': 'OLD' is not a sidecar mode. Fix: pass SidecarMode.NATIVE or SidecarMode.LEGACY."],
    ['start rank', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, startRank: NaN }),
      "workload 'test/web', sidecar 's': start rank NaN is not a number. Fix: pass a finite number as 'startRank' (100 log collectors, 200 secret injectors, 300 proxies, 400 others)."],
    ['fractional budget', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, shutdownBudget: Duration.millis(1500) }),
      "workload 'test/web', sidecar 's': the shutdown budget is not a whole, non-negative number of seconds. Fix: pass e.g. Duration.seconds(10) as 'shutdownBudget'."],
    ['limit below request', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, profile: SidecarProfile.PROXY, resources: { memory: { limit: Size.mebibytes(64) } } }),
      "workload 'test/web', sidecar 's': memory limit 64Mi is below the memory request 128Mi. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)."],
    ['fractional CPU', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, resources: { cpu: { request: kplus.Cpu.millis(0.5) } } }),
      "workload 'test/web', sidecar 's': CPU request '0.5m' is not a positive CPU quantity in whole millicores. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests)."],
    ['invalid port', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 70000 }] }),
      "workload 'test/web', sidecar 's': port 70000 is not a valid port number. Fix: use an integer from 1 to 65535."],
    ['invalid port name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'sidecar-metrics-port' }] }),
      "workload 'test/web', sidecar 's': port name 'sidecar-metrics-port' is not valid. Fix: use at most 15 lower-case letters, digits and single '-', with at least one letter."],
    ['metrics port not a port', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'http' }], metrics: { portName: 'metrics' } }),
      "workload 'test/web', sidecar 's': the metrics port 'metrics' is not one of the sidecar's named ports. Fix: name the port that serves the metrics in 'ports' and pass that name as 'metrics.portName'."],
    ['metrics path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9000, name: 'metrics' }], metrics: { portName: 'metrics', path: 'metrics' } }),
      "workload 'test/web', sidecar 's': metrics path 'metrics' is not an absolute URL path. Fix: pass a path such as '/metrics'."],
    ['root user', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, user: 0 }),
      "workload 'test/web', sidecar 's': uid 0 is not a non-root user. Fix: run the sidecar as the image's own non-zero uid ('user' prop)."],
    ['negative group', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, group: -1 }),
      "workload 'test/web', sidecar 's': gid -1 is not valid. Fix: pass a non-negative integer as 'group'."],
    ['relative writable path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, writablePaths: ['tmp'] }),
      "workload 'test/web', sidecar 's': 'tmp' is not an absolute path. Fix: pass an absolute path without '..' as 'writablePaths'."],
    ['shared volume path with ..', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).shareVolume({ volume: kplus.Volume.fromEmptyDir(c, 'v', 'data'), path: '/data/../etc' }),
      "workload 'test/web', sidecar 's': '/data/../etc' is not an absolute path. Fix: pass an absolute path without '..' as 'path'."],
    ['relative app path', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).shareVolume({ volume: kplus.Volume.fromEmptyDir(c, 'v', 'data'), path: '/data', appPath: 'data' }),
      "workload 'test/web', sidecar 's': 'data' is not an absolute path. Fix: pass an absolute path without '..' as 'appPath'."],
    ['two volumes at one path', (c, w) => new Sidecar(c, 's', {
      workload: w,
      image: IMAGE,
      writablePaths: ['/data'],
      sharedVolumes: [{ volume: kplus.Volume.fromEmptyDir(c, 'v', 'data'), path: '/data' }],
    }), "workload 'test/web', sidecar 's': two volumes are mounted at '/data' ('s-data' and 'data'). Fix: mount each volume at its own path."],
    ['env name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE }).addAppEnvVariable('1PROXY', kplus.EnvValue.fromValue('x')),
      "workload 'test/web', sidecar 's': '1PROXY' is not a valid environment variable name. Fix: use letters, digits and '_', not starting with a digit."],
    // Found by the property-based tests: these reached cdk8s-plus's own addPort() errors.
    ['same port twice', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9102, protocol: kplus.Protocol.UDP }, { number: 9102, protocol: kplus.Protocol.UDP }] }),
      "workload 'test/web', sidecar 's': port 9102/UDP is listed twice. Fix: list each port of the sidecar once."],
    ['same port name twice', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, ports: [{ number: 9102, name: 'metrics' }, { number: 9103, name: 'metrics' }] }),
      "workload 'test/web', sidecar 's': two ports are named 'metrics'. Fix: give each port of the sidecar its own name."],
    // Found by the property-based tests: the API server refuses these names.
    ['sidecar env name', (c, w) => new Sidecar(c, 's', { workload: w, image: IMAGE, envVariables: { 'LOG\nLEVEL': kplus.EnvValue.fromValue('x') } }),
      'workload \'test/web\', sidecar \'s\': "LOG\\nLEVEL" is not a valid environment variable name. Fix: use letters, digits, \'_\', \'-\' and \'.\', not starting with a digit (the API server refuses other names).'],
    // Found by the property-based tests: a user's memory emptyDir reached the pod without a limit.
    ['unlimited memory emptyDir', (c, w) => new Sidecar(c, 's', {
      workload: w,
      image: IMAGE,
      sharedVolumes: [{ volume: kplus.Volume.fromEmptyDir(c, 'v', 'shm', { medium: kplus.EmptyDirMedium.MEMORY }), path: '/dev/shm' }],
    }), "workload 'test/web', sidecar 's': shared volume 'shm' is a memory-backed emptyDir without a size limit. Fix: give it a sizeLimit (Volume.fromEmptyDir(scope, id, name, { medium: EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(64) }))."],
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
    expect(() => new Sidecar(chart, 's', { workload: web, image: 'x:latest' })).toThrow(/not pinned/);
    expect(web.initContainers).toHaveLength(0);
    expect(PodSidecars.of(web).sidecars).toHaveLength(0);
  });
});

describe('rollOnConfigChange', () => {
  class ConfiguredSidecar extends Sidecar {
    public readonly digest: string;
    constructor(chart: Chart, id: string, workload: kplus.AbstractPod, files: { [name: string]: string }) {
      super(chart, id, { workload, image: IMAGE });
      this.digest = this.rollOnConfigChange(files);
    }
  }

  test('annotates the pod template with a digest that follows the config', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    // WHEN
    const a = new ConfiguredSidecar(chart, 'a', web, { 'a.conf': 'x = 1', 'b.conf': 'y = 2' });
    const same = new ConfiguredSidecar(newChart(), 'a', webDeployment(newChart()), { 'b.conf': 'y = 2', 'a.conf': 'x = 1' });
    const moved = new ConfiguredSidecar(newChart(), 'a', webDeployment(newChart()), { 'a.conf': 'x = 1y = 2', 'b.conf': '' });
    // THEN
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(same.digest).toBe(a.digest);
    expect(moved.digest).not.toBe(a.digest);
    expect(find(synth(chart), 'Deployment').spec.template.metadata.annotations).toEqual({ 'config.cdk8s-sidecars.io/a': a.digest });
  });
});
