import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ReloaderSidecar, ReloaderSidecarProps, ReloadWebhookMethod, Sidecar, SidecarMode, SidecarProfile, SidecarVolumeSource,
  StakaterReloaderAnnotations,
} from '../../../src';
import { SidecarError } from '../../../src/core/errors';
import { specContext } from '../../../src/core/spec';
import { DEFAULT_NAME, reloaderSpec } from '../../../src/sidecars/reloader/spec';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment, pureSpec } from '../../util';

const WHO = 'workload \'test/web\', sidecar \'config-reloader\'';
const URL = 'http://127.0.0.1:8080/-/reload';

/** The start of an error message: its code and who it is about. */
function error(code: string, who = WHO): string {
  return `[${code}] ${who}: `;
}

function setup() {
  const chart = newChart();
  const web = webDeployment(chart);
  const cm = new kplus.ConfigMap(chart, 'app-config', { metadata: { name: 'app-config' }, data: { 'app.yaml': 'a: 1' } });
  const secret = new kplus.Secret(chart, 'app-tls', { metadata: { name: 'app-tls' }, stringData: { 'tls.key': 'x' } });
  return { chart, web, cm, secret };
}

describe('ReloaderSidecar', () => {
  test('watches ConfigMaps and Secrets and calls the webhook', () => {
    // GIVEN
    const { chart, web, cm, secret } = setup();

    // WHEN
    const reloader = new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], secrets: [secret], webhookUrl: URL });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:config-reloader', 'app']);
    const c = container(spec, 'config-reloader');
    expect(c.image).toBe('ghcr.io/jimmidyson/configmap-reload:v0.14.0');
    expect(c.restartPolicy).toBe('Always');
    // configmap-reload.go at v0.14.0: --webhook-method (line 24), --webhook-status-code (25),
    // --webhook-retries (26), --web.listen-address (27), --volume-dir (72), --webhook-url (73);
    // '/' is served by serverMetrics (line 191), the probes' path.
    expect(c.args).toEqual([
      '--volume-dir=/watch/configmaps/app-config',
      '--volume-dir=/watch/secrets/app-tls',
      `--webhook-url=${URL}`,
      '--webhook-method=POST',
      '--webhook-status-code=200',
      '--webhook-retries=3',
      '--web.listen-address=:9533',
    ]);
    expect(c.ports).toEqual([{ containerPort: 9533, name: 'reload-metrics', protocol: 'TCP' }]);
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '50m', memory: '64Mi' } });
    expect(c.securityContext).toMatchObject({
      runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/', port: 9533, scheme: 'HTTP' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/', port: 9533, scheme: 'HTTP' });
    expect(c.startupProbe).toBeUndefined();
    expect(c.volumeMounts).toEqual([
      { mountPath: '/watch/configmaps/app-config', name: 'watch-configmap-app-config', readOnly: true },
      { mountPath: '/watch/secrets/app-tls', name: 'watch-secret-app-tls', readOnly: true },
    ]);
    const app = container(spec, 'app');
    expect(app.volumeMounts).toEqual([
      { mountPath: '/etc/config/app-config', name: 'watch-configmap-app-config', readOnly: true },
      { mountPath: '/etc/secrets/app-tls', name: 'watch-secret-app-tls', readOnly: true },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'watch-configmap-app-config', configMap: { name: 'app-config' } },
      { name: 'watch-secret-app-tls', secret: { secretName: 'app-tls' } },
    ]);
    expect(reloader.kind).toBe('config-reloader');
    expect(reloader.profile).toBe(SidecarProfile.CONFIG_RELOAD);
    expect(reloader.metrics).toEqual({ portName: 'reload-metrics', path: '/metrics' });
    expect(reloader.alertPack).toBe(ReloaderSidecar.ALERT_PACK);
    expect(reloader.webhookUrl).toBe(URL);
    expect(reloader.configMap).toBeUndefined();
    expect(reloader.gatesStartup).toBe(false);
  });

  test('method, status, retries, port, directories and mode are props', () => {
    // GIVEN
    const { chart, web, cm, secret } = setup();

    // WHEN
    new ReloaderSidecar(chart, 'reload', {
      workload: web,
      configMaps: [cm],
      secrets: [secret],
      webhookUrl: 'https://localhost:9443/reload',
      webhookMethod: ReloadWebhookMethod.PUT,
      webhookStatusCode: 204,
      webhookRetries: 5,
      metricsPort: 19533,
      configMapsDir: '/config/',
      secretsDir: '/run/secrets',
      mode: SidecarMode.LEGACY,
      name: 'reloader',
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['reloader', 'app']);
    const c = container(spec, 'reloader');
    expect(c.args).toEqual([
      '--volume-dir=/watch/configmaps/app-config',
      '--volume-dir=/watch/secrets/app-tls',
      '--webhook-url=https://localhost:9443/reload',
      '--webhook-method=PUT',
      '--webhook-status-code=204',
      '--webhook-retries=5',
      '--web.listen-address=:19533',
    ]);
    expect(c.ports[0].containerPort).toBe(19533);
    expect(c.readinessProbe.httpGet.port).toBe(19533);
    expect(container(spec, 'app').volumeMounts).toEqual([
      { mountPath: '/config/app-config', name: 'watch-configmap-app-config', readOnly: true },
      { mountPath: '/run/secrets/app-tls', name: 'watch-secret-app-tls', readOnly: true },
    ]);
  });

  test('user: 1000 keeps the image\'s gid 65534', () => {
    // GIVEN
    const { chart, web, cm } = setup();

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL, user: 1000 });

    // THEN
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'config-reloader');
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 65534 });
  });

  test('created in a chart of another namespace, it mounts the objects of the workload\'s namespace and adds no ConfigMap', () => {
    // GIVEN a workload and its ConfigMap in 'production', and a chart in 'tools'
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'production' });
    const web = webDeployment(chart);
    const cm = new kplus.ConfigMap(chart, 'app-config', { metadata: { name: 'app-config' } });
    const tools = new Chart(app, 'tools', { namespace: 'tools' });

    // WHEN
    new ReloaderSidecar(tools, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // THEN
    const manifests = synth(chart);
    expect(manifests.filter(m => m.kind === 'ConfigMap').map(m => m.metadata.namespace)).toEqual(['production']);
    expect(synth(tools)).toEqual([]);
    expect(podSpec(find(manifests, 'Deployment')).volumes).toEqual([{ name: 'watch-configmap-app-config', configMap: { name: 'app-config' } }]);
  });

  test('a watched ConfigMap or Secret of another namespace is refused: the pod could not mount it', () => {
    // GIVEN objects in another namespace than the workload's
    const { chart, web } = setup();
    const cm = new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'app-config', namespace: 'staging' } });
    const secret = new kplus.Secret(chart, 'secret', { metadata: { name: 'app-tls', namespace: 'staging' } });

    // WHEN / THEN
    expect(() => new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL }))
      .toThrow(`${error('RELOADER_WATCH_INVALID')}ConfigMap 'app-config' is in namespace 'staging', the workload in namespace 'production'. Fix: watch ConfigMaps and Secrets of the workload's namespace (a pod can mount no other).`);
    expect(() => new ReloaderSidecar(chart, 'reload', { workload: web, secrets: [secret], webhookUrl: URL }))
      .toThrow(`${error('RELOADER_WATCH_INVALID')}Secret 'app-tls' is in namespace 'staging', the workload in namespace 'production'.`);
  });

  test('a watched ConfigMap defined without a namespace is refused for a namespaced workload, and the reverse', () => {
    // GIVEN a ConfigMap of a chart without a namespace, and a workload of a chart without one
    const app = Testing.app();
    const bare = new Chart(app, 'bare');
    const { chart, web } = setup();
    const loose = new kplus.ConfigMap(bare, 'cm', { metadata: { name: 'app-config' } });
    const bareWeb = webDeployment(bare, 'bare-web');
    const placed = new kplus.ConfigMap(chart, 'placed', { metadata: { name: 'placed-config' } });

    // WHEN / THEN
    expect(() => new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [loose], webhookUrl: URL }))
      .toThrow(`${error('RELOADER_WATCH_INVALID')}ConfigMap 'app-config' is in no namespace, the workload in namespace 'production'.`);
    expect(() => new ReloaderSidecar(bare, 'reload', { workload: bareWeb, configMaps: [placed], webhookUrl: URL }))
      .toThrow('[RELOADER_WATCH_INVALID] workload \'bare/bare-web\', sidecar \'config-reloader\': ConfigMap \'placed-config\' is in namespace \'production\', the workload in no namespace.');
  });

  test('a ConfigMap referenced by name only is taken to be in the pod\'s namespace', () => {
    // GIVEN
    const { chart, web } = setup();
    const byName = kplus.ConfigMap.fromConfigMapName(chart, 'by-name', 'shared-config');
    // WHEN / THEN
    expect(() => new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [byName], webhookUrl: URL })).not.toThrow();
  });

  test('a subPath mount of a watched ConfigMap volume is refused (SUBPATH_ON_SHARED)', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN the app mounts the shared volume with a subPath
    const shared = web.volumes.find(v => v.name === 'watch-configmap-app-config')!;
    web.containers[0].mount('/etc/app.yaml', shared, { subPath: 'app.yaml' });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('SUBPATH_ON_SHARED', 'workload \'test/web\'')}container 'app' mounts shared volume 'watch-configmap-app-config' with a subPath, and subPath mounts never see updates. Fix: `);
  });

  test('a subPath mount of a watched ConfigMap or Secret through another volume is refused (SUBPATH_ON_SHARED)', () => {
    // GIVEN
    const { chart, web, cm, secret } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], secrets: [secret], webhookUrl: URL });

    // WHEN the app mounts the same ConfigMap and Secret through volumes of its own
    web.containers[0].mount('/etc/app.yaml', kplus.Volume.fromConfigMap(chart, 'own', cm, { name: 'my-config' }), { subPath: 'app.yaml' });
    web.containers[0].mount('/etc/tls.key', kplus.Volume.fromSecret(chart, 'own-tls', secret, { name: 'my-tls' }), { subPath: 'tls.key' });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('SUBPATH_ON_SHARED')}container 'app' mounts watched ConfigMap 'app-config' (volume 'my-config') with a subPath, and subPath mounts never see updates. Fix: `);
    expect(() => synth(chart)).toThrow(`${error('SUBPATH_ON_SHARED')}container 'app' mounts watched Secret 'app-tls' (volume 'my-tls') with a subPath, and subPath mounts never see updates. Fix: `);
  });

  test('a subPath mount of an unwatched ConfigMap is fine', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    const other = new kplus.ConfigMap(chart, 'other', { metadata: { name: 'other' }, data: { a: 'b' } });
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN
    web.containers[0].mount('/etc/other.yaml', kplus.Volume.fromConfigMap(chart, 'own', other), { subPath: 'a' });

    // THEN
    expect(() => synth(chart)).not.toThrow();
  });

  test('long names that cut to one volume name get distinct volumes', () => {
    // GIVEN two ConfigMaps whose names agree in their first 60 characters
    const { chart, web } = setup();
    const prefix = 'a'.repeat(60);
    const one = new kplus.ConfigMap(chart, 'one', { metadata: { name: `${prefix}-one` } });
    const two = new kplus.ConfigMap(chart, 'two', { metadata: { name: `${prefix}-two` } });

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [one, two], webhookUrl: URL });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(spec.volumes.map((v: any) => v.configMap.name)).toEqual([`${prefix}-one`, `${prefix}-two`]);
    expect(new Set(spec.volumes.map((v: any) => v.name)).size).toBe(2);
    expect(spec.volumes.every((v: any) => v.name.length <= 63)).toBe(true);
  });

  test('a LEGACY reloader on a Job is refused (LEGACY_ON_COMPLETION)', () => {
    // GIVEN
    const { chart, cm } = setup();
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: job, configMaps: [cm], webhookUrl: URL, mode: SidecarMode.LEGACY });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('LEGACY_ON_COMPLETION', 'workload \'test/job\', sidecar \'config-reloader\'')}a LEGACY sidecar is an ordinary container that never exits`);
  });

  test('a port collision with the app is refused (PORT_IN_USE)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9533 }] });
    const cm = new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'cm' } });

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // THEN
    expect(() => synth(chart)).toThrow(`${error('PORT_IN_USE')}port 9533/TCP ('metricsPort') is also used by container 'app' (containers of a pod share one network namespace). Fix: `);
  });

  test('two reloaders get distinct names or fail (CONTAINER_NAME_TAKEN)', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN / THEN
    expect(() => new ReloaderSidecar(chart, 'reload2', { workload: web, configMaps: [cm], webhookUrl: URL }))
      .toThrow(`${error('CONTAINER_NAME_TAKEN')}the pod already has a container named 'config-reloader'. Fix: `);
    expect(Sidecar.isSidecar(chart.node.findChild('reload'))).toBe(true);
  });

  describe('bad input', () => {
    const URL_FIX = 'Fix: pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\'.';
    const cases: [string, (s: ReturnType<typeof setup>) => any, string, string][] = [
      ['nothing to watch', s => ({ workload: s.web, webhookUrl: URL }), 'RELOADER_NOTHING_TO_WATCH',
        'there is nothing to watch. Fix: pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\').'],
      ['not a URL', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'localhost:8080/reload' }), 'RELOADER_WEBHOOK_INVALID',
        `webhook URL 'localhost:8080/reload' is not http or https. ${URL_FIX}`],
      ['relative', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: '/-/reload' }), 'RELOADER_WEBHOOK_INVALID',
        `webhook URL '/-/reload' is not a URL. ${URL_FIX}`],
      ['whitespace', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'http://x/ --volume-dir=/' }), 'RELOADER_WEBHOOK_INVALID',
        `webhook URL 'http://x/ --volume-dir=/' contains whitespace, quotes or backslashes. ${URL_FIX}`],
      ['credentials', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'http://admin:pw@127.0.0.1:8080/reload' }), 'RELOADER_WEBHOOK_INVALID',
        'webhook URL \'http://admin:pw@127.0.0.1:8080/reload\' carries credentials, which would be readable in the pod spec. Fix: call an endpoint that needs no credentials in the URL (the reloader runs in the pod, next to the app).'],
      ['status code', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookStatusCode: 2000 }), 'NUMBER_INVALID',
        '\'webhookStatusCode\' 2000 is not a whole number from 100 to 599. Fix: '],
      ['retries', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookRetries: 0 }), 'NUMBER_INVALID',
        '\'webhookRetries\' 0 is not a whole number from 1 to 100. Fix: '],
      ['method', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookMethod: 'TRACE' }), 'ENUM_INVALID',
        '\'webhookMethod\' \'TRACE\' is not one of the ReloadWebhookMethod values. Fix: '],
      ['port', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, metricsPort: 70000 }), 'PORT_INVALID',
        '\'metricsPort\' 70000 is not a valid port number. Fix: '],
      ['relative directory', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, configMapsDir: 'etc/config' }), 'PATH_INVALID',
        '\'configMapsDir\' \'etc/config\' is not a canonical absolute path. Fix: '],
      ['bad name', s => ({ workload: s.web, secrets: [kplus.Secret.fromSecretName(s.chart, 'imp', 'My_Secret')], webhookUrl: URL }), 'RELOADER_WATCH_INVALID',
        '\'My_Secret\' is not a valid Secret name. Fix: watch ConfigMaps and Secrets by their Kubernetes names (lower-case letters, digits, \'-\' and \'.\').'],
      ['empty label in a name', s => ({ workload: s.web, configMaps: [kplus.ConfigMap.fromConfigMapName(s.chart, 'dots', 'app..config')], webhookUrl: URL }), 'RELOADER_WATCH_INVALID',
        '\'app..config\' is not a valid ConfigMap name. Fix: '],
      ['watched twice', s => ({ workload: s.web, configMaps: [s.cm, s.cm], webhookUrl: URL }), 'RELOADER_WATCH_INVALID',
        'ConfigMap \'app-config\' is watched twice. Fix: list each ConfigMap and Secret once.'],
    ];
    test.each(cases)('%s', (_, props, code, message) => {
      // GIVEN
      const s = setup();
      // WHEN / THEN
      expect(() => new ReloaderSidecar(s.chart, 'reload', props(s))).toThrow(`${error(code)}${message}`);
    });
  });
});

describe('reloaderSpec', () => {
  test('turns props into a spec without creating a construct', () => {
    // GIVEN
    const { chart, web, cm, secret } = setup();
    const props: ReloaderSidecarProps = { workload: web, configMaps: [cm], secrets: [secret], webhookUrl: URL, secretsDir: '/run/secrets/' };
    // WHEN it is computed (creating no construct)
    const spec = pureSpec(chart, props, DEFAULT_NAME, reloaderSpec);

    // THEN
    expect(spec).toMatchObject({
      image: 'ghcr.io/jimmidyson/configmap-reload:v0.14.0',
      imageUser: 65534,
      imageGroup: 65534,
      kind: 'config-reloader',
      profile: SidecarProfile.CONFIG_RELOAD,
      alertPack: ReloaderSidecar.ALERT_PACK,
      metrics: { portName: 'reload-metrics', path: '/metrics' },
      ports: [{ name: 'reload-metrics', number: 9533, protocol: kplus.Protocol.TCP, prop: 'metricsPort' }],
    });
    expect(spec.startup).toBeUndefined();
    expect(spec.configFiles).toBeUndefined();
    const shared = { source: expect.any(SidecarVolumeSource), readOnly: true, appReadOnly: true, mustSeeUpdates: true };
    expect(spec.volumes).toEqual([
      { ...shared, name: 'watch-configmap-app-config', path: '/watch/configmaps/app-config', appPath: '/etc/config/app-config' },
      { ...shared, name: 'watch-secret-app-tls', path: '/watch/secrets/app-tls', appPath: '/run/secrets/app-tls' },
    ]);
    expect(spec.volumes!.map(v => [v.source.kind, v.source._object])).toEqual([['configMap', 'ConfigMap \'app-config\''], ['secret', 'Secret \'app-tls\'']]);
  });

  test('raises errors with their codes', () => {
    // GIVEN
    const { chart, web } = setup();
    const props: ReloaderSidecarProps = { workload: web, webhookUrl: URL };

    // WHEN
    let raised: unknown;
    try {
      reloaderSpec(props, specContext(chart, props, DEFAULT_NAME));
    } catch (e) {
      raised = e;
    }

    // THEN
    expect(raised).toBeInstanceOf(SidecarError);
    expect(raised).toMatchObject({ code: 'RELOADER_NOTHING_TO_WATCH', problem: 'there is nothing to watch' });
  });
});

describe('StakaterReloaderAnnotations', () => {
  test('annotates the workload for a rolling restart, without a container', () => {
    // GIVEN
    const { chart, web, cm, secret } = setup();
    const cm2 = new kplus.ConfigMap(chart, 'flags', { metadata: { name: 'feature-flags' } });

    // WHEN
    const a = new StakaterReloaderAnnotations(chart, 'restart', { workload: web, configMaps: [cm, cm2, cm], secrets: [secret] });

    // THEN
    const manifests = synth(chart);
    expect(manifests).toMatchSnapshot();
    const deployment = find(manifests, 'Deployment');
    expect(deployment.metadata.annotations).toEqual({
      'configmap.reloader.stakater.com/reload': 'app-config,feature-flags',
      'secret.reloader.stakater.com/reload': 'app-tls',
    });
    expect(containerOrder(podSpec(deployment))).toEqual(['app']);
    expect(a.annotations['secret.reloader.stakater.com/reload']).toBe('app-tls');
  });

  test('refuses a Job and an empty list', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN / THEN
    expect(() => new StakaterReloaderAnnotations(chart, 'a', { workload: job, configMaps: [cm] }))
      .toThrow(`${error('RELOADER_STAKATER_WORKLOAD_UNSUPPORTED', 'workload \'test/job\'')}Stakater Reloader rolls Deployments, StatefulSets and DaemonSets, not a Job. Fix: attach the annotations to a Deployment, StatefulSet or DaemonSet, or use ReloaderSidecar to reload in place.`);
    expect(() => new StakaterReloaderAnnotations(chart, 'b', { workload: web }))
      .toThrow(`${error('RELOADER_NOTHING_TO_WATCH', 'workload \'test/web\'')}Stakater Reloader annotations list nothing to watch. Fix: pass at least one ConfigMap ('configMaps') or Secret ('secrets').`);
  });
});
