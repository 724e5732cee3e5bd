import * as kplus from 'cdk8s-plus-28';
import { ReloaderSidecar, ReloadWebhookMethod, Sidecar, SidecarKind, SidecarMode, SidecarProfile, StakaterReloaderAnnotations } from '../src';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment } from './util';

const WHO = 'workload \'test/web\', sidecar \'config-reloader\'';
const URL = 'http://127.0.0.1:8080/-/reload';

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
    expect(reloader.kind).toBe(SidecarKind.CONFIG_RELOADER);
    expect(reloader.profile).toBe(SidecarProfile.CONFIG_RELOAD);
    expect(reloader.metrics).toEqual({ portName: 'reload-metrics', path: '/metrics' });
    expect(reloader.webhookUrl).toBe(URL);
  });

  test('method, status, retries, port, directories and mode are props', () => {
    // GIVEN
    const { chart, web, cm } = setup();

    // WHEN
    new ReloaderSidecar(chart, 'reload', {
      workload: web,
      configMaps: [cm],
      webhookUrl: 'https://localhost:9443/reload',
      webhookMethod: ReloadWebhookMethod.PUT,
      webhookStatusCode: 204,
      webhookRetries: 5,
      metricsPort: 19533,
      configDir: '/config/',
      mode: SidecarMode.LEGACY,
      name: 'reloader',
    });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(containerOrder(spec)).toEqual(['reloader', 'app']);
    const c = container(spec, 'reloader');
    expect(c.args).toEqual([
      '--volume-dir=/watch/configmaps/app-config',
      '--webhook-url=https://localhost:9443/reload',
      '--webhook-method=PUT',
      '--webhook-status-code=204',
      '--webhook-retries=5',
      '--web.listen-address=:19533',
    ]);
    expect(c.ports[0].containerPort).toBe(19533);
    expect(c.readinessProbe.httpGet.port).toBe(19533);
    expect(container(spec, 'app').volumeMounts).toEqual([{ mountPath: '/config/app-config', name: 'watch-configmap-app-config', readOnly: true }]);
  });

  test('a subPath mount of a watched ConfigMap volume is refused (PodSidecars)', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN the app mounts the shared volume with a subPath
    const shared = web.volumes.find(v => v.name === 'watch-configmap-app-config')!;
    web.containers[0].mount('/etc/app.yaml', shared, { subPath: 'app.yaml' });

    // THEN
    expect(() => synth(chart)).toThrow("workload 'test/web': container 'app' mounts shared volume 'watch-configmap-app-config' with a subPath, and subPath mounts never see updates. Fix: mount the whole volume (no subPath) at a directory of its own.");
  });

  test('a subPath mount of a watched ConfigMap through another volume is refused', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN the app mounts the same ConfigMap through a volume of its own
    const own = kplus.Volume.fromConfigMap(chart, 'own', cm, { name: 'my-config' });
    web.containers[0].mount('/etc/app.yaml', own, { subPath: 'app.yaml' });

    // THEN
    expect(() => synth(chart)).toThrow(`${WHO}: container 'app' mounts watched ConfigMap 'app-config' (volume 'my-config') with a subPath, and subPath mounts never see updates. Fix: mount the whole volume (no subPath) at a directory of its own, or read the file from the reloader-shared mount.`);
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

  test('a LEGACY reloader on a Job is refused (PodSidecars)', () => {
    // GIVEN
    const { chart, cm } = setup();
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: job, configMaps: [cm], webhookUrl: URL, mode: SidecarMode.LEGACY });

    // THEN
    expect(() => synth(chart)).toThrow("workload 'test/job', sidecar 'config-reloader': a LEGACY sidecar is an ordinary container that never exits");
  });

  test('a port collision with the app is refused (PodSidecars)', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9533 }] });
    const cm = new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'cm' } });

    // WHEN
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // THEN
    expect(() => synth(chart)).toThrow(`${WHO}: port 9533/TCP is also used by container 'app' (containers of a pod share one network namespace). Fix: move one of them to a free port (set this sidecar's port props, or the port of 'app').`);
  });

  test('two reloaders get distinct names or fail', () => {
    // GIVEN
    const { chart, web, cm } = setup();
    new ReloaderSidecar(chart, 'reload', { workload: web, configMaps: [cm], webhookUrl: URL });

    // WHEN / THEN
    expect(() => new ReloaderSidecar(chart, 'reload2', { workload: web, configMaps: [cm], webhookUrl: URL }))
      .toThrow(`${WHO}: the pod already has a container named 'config-reloader'. Fix: give this sidecar another name with the 'name' prop.`);
    expect(Sidecar.isSidecar(chart.node.findChild('reload'))).toBe(true);
  });

  describe('bad input', () => {
    const cases: [string, (s: ReturnType<typeof setup>) => any, string][] = [
      ['nothing to watch', s => ({ workload: s.web, webhookUrl: URL }),
        'there is nothing to watch. Fix: pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\').'],
      ['not a URL', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'localhost:8080/reload' }),
        'webhook URL \'localhost:8080/reload\' is not http or https. Fix: pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\'.'],
      ['relative', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: '/-/reload' }),
        'webhook URL \'/-/reload\' is not a URL. Fix: pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\'.'],
      ['whitespace', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'http://x/ --volume-dir=/' }),
        'webhook URL \'http://x/ --volume-dir=/\' contains whitespace, quotes or backslashes. Fix: pass an absolute http(s) URL of the app\'s reload endpoint, e.g. \'http://127.0.0.1:8080/-/reload\'.'],
      ['credentials', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: 'http://admin:pw@127.0.0.1:8080/reload' }),
        'webhook URL \'http://admin:pw@127.0.0.1:8080/reload\' carries credentials, which would be readable in the pod spec. Fix: call an endpoint that needs no credentials in the URL (the reloader runs in the pod, next to the app).'],
      ['status code', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookStatusCode: 2000 }),
        'webhook status code 2000 is not an HTTP status code. Fix: pass an integer from 100 to 599 as \'webhookStatusCode\'.'],
      ['retries', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookRetries: 0 }),
        'webhook retries 0 is not a whole number from 1 to 100. Fix: pass e.g. 3 as \'webhookRetries\'.'],
      ['method', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, webhookMethod: 'TRACE' }),
        '\'TRACE\' is not a webhook method. Fix: pass a ReloadWebhookMethod.'],
      ['port', s => ({ workload: s.web, configMaps: [s.cm], webhookUrl: URL, metricsPort: 70000 }),
        'metrics port 70000 is not a valid port number. Fix: use an integer from 1 to 65535 as \'metricsPort\'.'],
      ['bad name', s => ({ workload: s.web, secrets: [kplus.Secret.fromSecretName(s.chart, 'imp', 'My_Secret')], webhookUrl: URL }),
        '\'My_Secret\' is not a valid Secret name. Fix: watch ConfigMaps and Secrets by their Kubernetes names (lower-case letters, digits, \'-\' and \'.\').'],
      ['watched twice', s => ({ workload: s.web, configMaps: [s.cm, s.cm], webhookUrl: URL }),
        'ConfigMap \'app-config\' is watched twice. Fix: list each ConfigMap and Secret once.'],
    ];
    test.each(cases)('%s', (_, props, message) => {
      // GIVEN
      const s = setup();
      // WHEN / THEN
      expect(() => new ReloaderSidecar(s.chart, 'reload', props(s))).toThrow(`${WHO}: ${message}`);
    });
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
      .toThrow('workload \'test/job\': Stakater Reloader rolls Deployments, StatefulSets and DaemonSets, not a Job. Fix: attach the annotations to a Deployment, StatefulSet or DaemonSet, or use ReloaderSidecar to reload in place.');
    expect(() => new StakaterReloaderAnnotations(chart, 'b', { workload: web }))
      .toThrow('workload \'test/web\': Stakater Reloader annotations list nothing to watch. Fix: pass at least one ConfigMap (\'configMaps\') or Secret (\'secrets\').');
  });
});
