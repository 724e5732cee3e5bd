import * as http from 'http';
import { AddressInfo } from 'net';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import { validateEnvoyBootstrap } from './envoy-schema';
import {
  EnvoyCaBundle, EnvoyDnsFamily, EnvoyDnsType, EnvoyDrainStrategy, EnvoyOutboundPolicy, EnvoyProtocol, EnvoySidecar, EnvoySidecarProps,
  PodSidecars, Sidecar, SidecarImages, SidecarMode, SidecarProfile,
} from '../../../src';
import { specContext } from '../../../src/core/spec';
import * as bootstrapModule from '../../../src/sidecars/envoy/bootstrap';
import { envoySpec } from '../../../src/sidecars/envoy/spec';
import { container, containerOrder, find, newChart, podSpec, runCommand, synth, webDeployment } from '../../util';

// Every bootstrap these tests render goes through the strict schema oracle.
const rendered = jest.spyOn(bootstrapModule, 'renderBootstrap');
let checked = 0;
afterEach(() => {
  for (const result of rendered.mock.results) {
    if (result.type === 'return') validateEnvoyBootstrap(result.value);
  }
  checked += rendered.mock.results.length;
  rendered.mockClear();
});
afterAll(() => {
  // The oracle really saw the bootstraps (the spy is wired to the renderer the sidecar calls).
  expect(checked).toBeGreaterThan(0);
});

const PAYMENTS = { name: 'payments', host: 'payments.production.svc.cluster.local', port: 80 };

/** A bootstrap read the way Envoy reads it (YAML 1.1: an unquoted `on` is a boolean). */
function readBootstrap(text: string): any {
  return parse(text, { version: '1.1' });
}

/** The parsed envoy.yaml of the (one) Envoy ConfigMap. */
function bootstrapOf(manifests: any[]): any {
  return readBootstrap(find(manifests, 'ConfigMap').data['envoy.yaml']);
}

function listener(bootstrap: any, name: string): any {
  return bootstrap.static_resources.listeners.find((l: any) => l.name === name);
}

function hcm(l: any): any {
  return l.filter_chains[0].filters[0].typed_config;
}

function clusterOf(bootstrap: any, name: string): any {
  return bootstrap.static_resources.clusters.find((c: any) => c.name === name);
}

function endpointOf(c: any): any {
  return c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
}

/** A Deployment whose app container declares `port`. */
function appOn(chart: Chart, port: number, id = 'web'): kplus.Deployment {
  return new kplus.Deployment(chart, id, { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: port }] });
}

/** Creates an Envoy sidecar on a fresh web Deployment and returns the error it throws. */
function errorOf(props: Partial<EnvoySidecarProps>): string {
  const chart = newChart();
  const web = webDeployment(chart);
  try {
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, ...props });
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

/** A stand-in for Envoy's admin listener on loopback that records the requests. */
async function fakeAdmin(
  readyAfterMs: number,
  outboundConnections: () => number = () => 0,
): Promise<{ port: number; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const started = Date.now();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/ready') {
      const live = Date.now() - started >= readyAfterMs;
      res.writeHead(live ? 200 : 503).end(live ? 'LIVE\n' : 'PRE_INITIALIZING\n');
    } else if (req.method === 'POST' && req.url === '/drain_listeners?inboundonly&graceful') {
      res.writeHead(200).end('OK\n');
    } else if (req.method === 'GET' && req.url === '/stats?filter=listener.outbound.downstream_cx_active') {
      // Envoy's text stats format: `name: value`, one per line.
      res.writeHead(200).end(`listener.outbound.downstream_cx_active: ${outboundConnections()}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

describe('EnvoySidecar', () => {
  test('defaults: a native sidecar with the generated bootstrap, probes, drain and proxy env', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, upstreams: [PAYMENTS] });
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['init:envoy', 'app']);
    const c = container(spec, 'envoy');
    expect(c.image).toBe('envoyproxy/envoy:v1.39.6');
    expect(c.restartPolicy).toBe('Always');
    expect(c.args).toEqual([
      '-c', '/etc/envoy/envoy.yaml', '--concurrency', '2', '--drain-time-s', '10', '--drain-strategy', 'immediate', '--disable-hot-restart',
    ]);
    expect(c.ports).toEqual([
      { containerPort: 15001, name: 'envoy-outbound' },
      { containerPort: 15006, name: 'envoy-inbound' },
      { containerPort: 15000, name: 'envoy-admin' },
      { containerPort: 15090, name: 'envoy-stats' },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(c.securityContext).toMatchObject({
      runAsUser: 101, runAsGroup: 101, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
    });
    // NATIVE: the gate is a blocking postStart hook polling the admin /ready every 0.1 s for up
    // to the startup timeout (60 s), not a startup probe
    expect(c.startupProbe).toBeUndefined();
    expect(c.lifecycle.postStart.exec.command[0]).toBe('bash');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('while [ "$SECONDS" -lt 60 ]');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('GET /ready HTTP/1.1');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('/dev/tcp/127.0.0.1/15000');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('sleep 0.1');
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 15090 } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/live', port: 15090 } });
    expect(c.lifecycle.preStop.exec.command[0]).toBe('bash');
    expect(c.lifecycle.preStop.exec.command[2]).toContain('POST /drain_listeners?inboundonly&graceful HTTP/1.1');
    // NATIVE: the preStop hook runs at deletion, in parallel with the app's SIGTERM: it must not sleep.
    expect(c.lifecycle.preStop.exec.command[2]).not.toContain('sleep');
    expect(c.volumeMounts).toEqual([{ mountPath: '/etc/envoy', name: 'envoy-config', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'envoy-config', configMap: { name: find(manifests, 'ConfigMap').metadata.name } }]);
    // NATIVE: Envoy's SIGTERM comes after the app has exited (the app's outbound traffic needs
    // it while it stops), and Envoy exits at once.
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(envoy.shutdownBudget.toSeconds()).toBe(0);
    expect(envoy.stopsWithApp).toBe(false);

    const app = container(spec, 'app');
    expect(app.env).toEqual([
      { name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' },
      { name: 'http_proxy', value: 'http://127.0.0.1:15001' },
      { name: 'HTTPS_PROXY', value: 'http://127.0.0.1:15001' },
      { name: 'https_proxy', value: 'http://127.0.0.1:15001' },
      { name: 'NO_PROXY', value: 'localhost,127.0.0.1' },
      { name: 'no_proxy', value: 'localhost,127.0.0.1' },
    ]);

    const meta = find(manifests, 'Deployment').spec.template.metadata;
    expect(meta.annotations['sidecar.istio.io/inject']).toBe('false');
    expect(meta.labels['sidecar.istio.io/inject']).toBe('false');
    expect(meta.annotations['linkerd.io/inject']).toBe('disabled');
    expect(meta.annotations['config.cdk8s-sidecars.io/envoy']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('the model sees an Envoy proxy with a Prometheus endpoint', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

    // THEN
    expect(envoy.kind).toBe('envoy');
    expect(envoy.profile).toBe(SidecarProfile.PROXY);
    expect(envoy.metrics).toEqual({ portName: 'envoy-stats', path: '/stats/prometheus' });
    expect(envoy.name).toBe('envoy');
    expect(envoy.gatesStartup).toBe(true);
    expect(envoy.proxyUrl).toBe('http://127.0.0.1:15001');
    expect([envoy.outboundPort, envoy.inboundPort, envoy.adminPort, envoy.metricsPort]).toEqual([15001, 15006, 15000, 15090]);
    expect(envoy.alertPack).toBe(EnvoySidecar.ALERT_PACK);
    expect(envoy.configMap!.data).toEqual({ 'envoy.yaml': envoy.bootstrap });
  });

  test('bootstrap: admin on loopback, inbound to the app, outbound to the upstreams, stats for GETs only', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const envoy = new EnvoySidecar(chart, 'proxy', {
      workload: web,
      appPort: 8080,
      upstreams: [
        PAYMENTS,
        { name: 'geo', host: 'api.geo.example.com', port: 443, dnsType: EnvoyDnsType.LOGICAL_DNS, connectTimeout: Duration.millis(250), domains: ['geo', 'geo:80'] },
        { name: 'legacy-db_proxy', host: '10.0.0.7', port: 8000 },
      ],
    });
    const bootstrap = bootstrapOf(synth(chart));

    // THEN
    expect(readBootstrap(envoy.bootstrap)).toEqual(bootstrap);
    expect(bootstrap.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } });
    const listeners = bootstrap.static_resources.listeners;
    expect(listeners.map((l: any) => [l.name, l.address.socket_address.address, l.address.socket_address.port_value, l.traffic_direction]))
      .toEqual([
        ['inbound', '0.0.0.0', 15006, 'INBOUND'],
        ['outbound', '127.0.0.1', 15001, 'OUTBOUND'],
        ['stats', '0.0.0.0', 15090, undefined],
      ]);
    for (const l of listeners) {
      const m = hcm(l);
      expect(l.filter_chains).toHaveLength(1);
      expect(m['@type']).toBe('type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
      expect(m.http_filters[m.http_filters.length - 1]).toEqual({ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } });
    }

    expect(hcm(listener(bootstrap, 'inbound')).route_config.virtual_hosts).toEqual([
      { name: 'local_app', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'local_app', timeout: '0s' } }] },
    ]);
    const tunnel = { match: { connect_matcher: {} }, route: { cluster: 'dynamic_forward_proxy', timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } };
    expect(hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts).toEqual([
      { name: 'payments', domains: ['payments.production.svc.cluster.local', 'payments.production.svc.cluster.local:80'], routes: [tunnel, { match: { prefix: '/' }, route: { cluster: 'payments', timeout: '15s' } }] },
      { name: 'geo', domains: ['geo', 'geo:80'], routes: [tunnel, { match: { prefix: '/' }, route: { cluster: 'geo', timeout: '15s' } }] },
      { name: 'legacy-db_proxy', domains: ['10.0.0.7', '10.0.0.7:8000'], routes: [tunnel, { match: { prefix: '/' }, route: { cluster: 'legacy-db_proxy', timeout: '15s' } }] },
      { name: 'allow_any', domains: ['*'], routes: [tunnel, { match: { prefix: '/' }, route: { cluster: 'dynamic_forward_proxy', timeout: '0s' } }] },
    ]);
    expect(hcm(listener(bootstrap, 'outbound')).http_protocol_options).toEqual({ allow_absolute_url: true });
    expect(hcm(listener(bootstrap, 'inbound')).http_protocol_options).toBeUndefined();
    const stats = hcm(listener(bootstrap, 'stats')).route_config.virtual_hosts;
    expect(stats).toHaveLength(1);
    const get = [{ name: ':method', string_match: { exact: 'GET' } }];
    expect(stats[0].routes).toEqual([
      { match: { path: '/stats/prometheus', headers: get }, route: { cluster: 'envoy_admin' } },
      { match: { path: '/ready', headers: get }, route: { cluster: 'envoy_admin' } },
      { match: { path: '/live', headers: get }, direct_response: { status: 200, body: { inline_string: 'alive\n' } } },
    ]);
    expect(envoy.bootstrap).not.toContain('/server_info');

    const clusters = bootstrap.static_resources.clusters;
    const endpoint = (c: any) => (c.load_assignment ? endpointOf(c) : {});
    expect(clusters.map((c: any) => [c.name, c.type, c.connect_timeout, endpoint(c).address, endpoint(c).port_value])).toEqual([
      ['local_app', 'STATIC', '5s', '127.0.0.1', 8080],
      ['envoy_admin', 'STATIC', '1s', '127.0.0.1', 15000],
      ['dynamic_forward_proxy', undefined, '5s', undefined, undefined],
      ['payments', 'STRICT_DNS', '5s', 'payments.production.svc.cluster.local', 80],
      ['geo', 'LOGICAL_DNS', '0.25s', 'api.geo.example.com', 443],
      ['legacy-db_proxy', 'STATIC', '5s', '10.0.0.7', 8000],
    ]);
    for (const c of clusters) if (c.load_assignment) expect(c.load_assignment.cluster_name).toBe(c.name);
    // Rendered by a YAML library, without anchors or aliases.
    expect(envoy.bootstrap).not.toMatch(/[&*]a\d/);
  });

  test('custom ports reach the bootstrap, the container, the probes and the hooks', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new EnvoySidecar(chart, 'proxy', {
      workload: web,
      appPort: 8080,
      name: 'edge',
      outboundPort: 16001,
      inboundPort: 16006,
      adminPort: 16000,
      metricsPort: 16090,
      drainTime: Duration.seconds(20),
      drainStrategy: EnvoyDrainStrategy.GRADUAL,
      concurrency: 4,
    });
    const manifests = synth(chart);

    // THEN
    const spec = podSpec(find(manifests, 'Deployment'));
    const c = container(spec, 'edge');
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([16001, 16006, 16000, 16090]);
    expect(c.lifecycle.postStart.exec.command[2]).toContain('/dev/tcp/127.0.0.1/16000');
    expect(c.livenessProbe.httpGet.port).toBe(16090);
    expect(c.args).toEqual(['-c', '/etc/envoy/envoy.yaml', '--concurrency', '4', '--drain-time-s', '20', '--drain-strategy', 'gradual', '--disable-hot-restart']);
    expect(c.lifecycle.preStop.exec.command[2]).toContain('/dev/tcp/127.0.0.1/16000');
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(container(spec, 'app').env[0]).toEqual({ name: 'HTTP_PROXY', value: 'http://127.0.0.1:16001' });
    const bootstrap = bootstrapOf(manifests);
    expect(bootstrap.admin.address.socket_address.port_value).toBe(16000);
    expect(bootstrap.static_resources.listeners.map((l: any) => l.address.socket_address.port_value)).toEqual([16006, 16001, 16090]);
    expect(endpointOf(clusterOf(bootstrap, 'envoy_admin')).port_value).toBe(16000);
    expect(spec.volumes[0].name).toBe('edge-config');
  });

  test('LEGACY: first container, gated by a postStart hook that waits for /ready', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, mode: SidecarMode.LEGACY, startupTimeout: Duration.seconds(30) });
    const manifests = synth(chart);

    // THEN
    expect(manifests).toMatchSnapshot();
    const spec = podSpec(find(manifests, 'Deployment'));
    expect(containerOrder(spec)).toEqual(['envoy', 'app']);
    const c = container(spec, 'envoy');
    expect(c.restartPolicy).toBeUndefined();
    expect(c.lifecycle.postStart.exec.command[0]).toBe('bash');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('while [ "$SECONDS" -lt 30 ]');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('GET /ready HTTP/1.1');
    // LEGACY keeps the startup probe next to the hook (it holds liveness until Envoy has started)
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/ready', port: 15090 }, periodSeconds: 1, failureThreshold: 30 });
    expect(c.lifecycle.preStop.exec.command[2]).toContain('drain_listeners');
  });

  test.each([SidecarMode.NATIVE, SidecarMode.LEGACY])('the %s startup hook blocks until the admin /ready answers 200, polling every 0.1 s', async mode => {
    // GIVEN an admin listener that becomes ready after 0.6 s
    const admin = await fakeAdmin(600);
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, mode, adminPort: admin.port, startupTimeout: Duration.seconds(10) });
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'envoy');
    const hook = c.lifecycle.postStart.exec.command;

    // WHEN a real bash runs it
    const started = Date.now();
    const result = await runCommand(hook);
    const took = Date.now() - started;
    await admin.close();

    // THEN it returned soon after /ready answered (polls 0.1 s apart, not 1 s), having asked several times
    expect(result.code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(1000);
    expect(admin.requests.length).toBeGreaterThanOrEqual(3);
    expect(new Set(admin.requests)).toEqual(new Set(['GET /ready']));
  }, 20000);

  test('the startup hook fails when Envoy never becomes ready', async () => {
    // GIVEN an admin port where nothing listens
    const admin = await fakeAdmin(0);
    const port = admin.port;
    await admin.close();
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, adminPort: port, startupTimeout: Duration.seconds(2) });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.postStart.exec.command;

    // WHEN
    const started = Date.now();
    const result = await runCommand(hook);

    // THEN it gives up within the startup timeout (bash's SECONDS: after 1 to 2 s), and the kubelet
    // then kills and restarts Envoy
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('envoy was not ready after 2s\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(4000);
  }, 20000);

  test('NATIVE: the preStop hook asks the admin listener to drain and returns at once (deletion is not delayed)', async () => {
    // GIVEN
    const admin = await fakeAdmin(0);
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, adminPort: admin.port, drainTime: Duration.seconds(30) });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.preStop.exec.command;

    // WHEN
    const started = Date.now();
    const result = await runCommand(hook);
    await admin.close();

    // THEN
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(admin.requests).toEqual(['POST /drain_listeners?inboundonly&graceful']);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 20000);

  test('LEGACY: the preStop hook drains, then keeps Envoy up while the app still listens or still calls out', async () => {
    // GIVEN an admin listener whose outbound listener has one app connection for the first 2 stats requests,
    // and an app that stops listening after 1.5 s
    let busy = 2;
    const admin = await fakeAdmin(0, () => (busy-- > 0 ? 1 : 0));
    const app = http.createServer((_, res) => res.end());
    await new Promise<void>(resolve => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as AddressInfo).port;
    const chart = newChart();
    const web = appOn(chart, appPort);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort, adminPort: admin.port, mode: SidecarMode.LEGACY });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.preStop.exec.command;

    // WHEN
    const started = Date.now();
    const closed = new Promise<number>(resolve => setTimeout(() => app.close(() => resolve(Date.now())), 1500));
    const result = await runCommand(hook);
    const finished = Date.now();
    await admin.close();

    // THEN it returned only after the app had stopped listening and had no outbound connection left
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(finished).toBeGreaterThanOrEqual(await closed);
    expect(finished - started).toBeLessThan(6000);
    expect(admin.requests[0]).toBe('POST /drain_listeners?inboundonly&graceful');
    expect(admin.requests.filter(r => r === 'GET /stats?filter=listener.outbound.downstream_cx_active').length).toBeGreaterThanOrEqual(2);
  }, 20000);

  test('drainTime 0: no preStop hook and no shutdown budget (NATIVE)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, drainTime: Duration.seconds(0) });
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN
    expect(envoy.shutdownBudget.toSeconds()).toBe(0);
    expect(container(spec, 'envoy').lifecycle.preStop).toBeUndefined();
    expect(Object.keys(container(spec, 'envoy').lifecycle)).toEqual(['postStart']);
    expect(spec.terminationGracePeriodSeconds).toBe(30);
  });

  test('on a bare Pod, with a 63-character container name', () => {
    // GIVEN
    const chart = newChart();
    const pod = new kplus.Pod(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }] });
    const name = 'e'.repeat(63);

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: pod, appPort: 8080, name });
    const manifests = synth(chart);

    // THEN
    const obj = find(manifests, 'Pod');
    expect(containerOrder(obj.spec)).toEqual([`init:${name}`, 'app']);
    expect(obj.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(obj.metadata.annotations[`config.cdk8s-sidecars.io/${name}`]).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a changed bootstrap changes the pod annotation', () => {
    // GIVEN
    const annotation = (port: number) => {
      const chart = newChart();
      new EnvoySidecar(chart, 'proxy', { workload: appOn(chart, port), appPort: port });
      return find(synth(chart), 'Deployment').spec.template.metadata.annotations['config.cdk8s-sidecars.io/envoy'];
    };

    // THEN
    expect(annotation(8080)).toBe(annotation(8080));
    expect(annotation(8080)).not.toBe(annotation(8081));
  });

  test('proxy env can be turned off or extended; mesh opt-out can be turned off', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const api = webDeployment(chart, 'api');

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, proxyEnv: false, meshInjectionOptOut: false });
    new EnvoySidecar(chart, 'api-proxy', { workload: api, appPort: 8080, noProxy: ['.svc.cluster.local', '10.0.0.0/8'] });
    const manifests = synth(chart);

    // THEN
    const web_ = find(manifests, 'Deployment', 'test-web');
    expect(container(podSpec(web_), 'app').env).toBeUndefined();
    expect(web_.spec.template.metadata.annotations['sidecar.istio.io/inject']).toBeUndefined();
    expect(web_.spec.template.metadata.labels['sidecar.istio.io/inject']).toBeUndefined();
    const apiEnv = container(podSpec(find(manifests, 'Deployment', 'test-api')), 'app').env;
    expect(apiEnv).toContainEqual({ name: 'NO_PROXY', value: 'localhost,127.0.0.1,.svc.cluster.local,10.0.0.0/8' });
  });

  test('an app variable already set wins over HTTP_PROXY', () => {
    // GIVEN
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080, envVariables: { HTTP_PROXY: kplus.EnvValue.fromValue('http://corp-proxy:3128') } }],
    });

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });
    const env = container(podSpec(find(synth(chart), 'Deployment')), 'app').env;

    // THEN
    expect(env.filter((e: any) => e.name === 'HTTP_PROXY')).toEqual([{ name: 'HTTP_PROXY', value: 'http://corp-proxy:3128' }]);
  });

  test('exposeViaService targets the inbound listener', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

    // WHEN
    envoy.exposeViaService({ name: 'web' });
    envoy.exposeViaService({ port: 8443, portName: 'alt', serviceType: kplus.ServiceType.NODE_PORT });
    const manifests = synth(chart);

    // THEN
    const services = manifests.filter(m => m.kind === 'Service');
    expect(services).toHaveLength(2);
    const deployment = find(manifests, 'Deployment');
    expect(services[0].metadata).toEqual({ name: 'web', namespace: 'production' });
    expect(services[0].spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 80, targetPort: 15006, name: 'http' }] });
    expect(services[0].spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(services[1].spec).toMatchObject({ type: 'NodePort', ports: [{ port: 8443, targetPort: 15006, name: 'alt' }] });
  });

  test('exposeViaService puts the Service where the pod is, also when the workload has no namespace', () => {
    // GIVEN a workload of a chart without a namespace, and Envoy created in a chart with one
    const app = Testing.app();
    const bare = new Chart(app, 'bare');
    const tools = new Chart(app, 'tools', { namespace: 'tools' });
    const web = webDeployment(bare);
    const envoy = new EnvoySidecar(tools, 'proxy', { workload: web, appPort: 8080 });

    // WHEN
    envoy.exposeViaService({ name: 'web' });

    // THEN the Service and the ConfigMap have no namespace, like the Deployment
    const objects = [...synth(bare), ...synth(tools)];
    expect(find(objects, 'Deployment').metadata.namespace).toBeUndefined();
    expect(find(objects, 'Service').metadata).toEqual({ name: 'web' });
    expect(find(objects, 'ConfigMap').metadata.namespace).toBeUndefined();
  });

  test('Envoy takes the proxy place in the start order', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });
    new Sidecar(chart, 'logs', { workload: web, name: 'logs', image: 'busybox:1.36', profile: SidecarProfile.LOG_COLLECTOR });
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN
    expect(containerOrder(spec)).toEqual(['init:logs', 'init:envoy', 'app']);
  });

  test('works on a Job in NATIVE mode', () => {
    // GIVEN
    const chart = newChart();
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'migrate:v1', portNumber: 9000 }] });

    // WHEN
    new EnvoySidecar(chart, 'proxy', { workload: job, appPort: 9000, upstreams: [PAYMENTS] });
    const spec = podSpec(find(synth(chart), 'Job'));

    // THEN
    expect(containerOrder(spec)).toEqual(['init:envoy', 'migrate']);
  });

  test('no user string can add a listener or a cluster', () => {
    // Valid-looking strings, and strings with the characters that would break out of YAML.
    const hostile = fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9][a-z0-9._:*\n"'{}[\]#&!|> -]{0,20}$/));
    const near = (valid: RegExp) => fc.oneof({ arbitrary: fc.stringMatching(valid), weight: 3 }, { arbitrary: hostile, weight: 1 });
    const names = near(/^[a-z0-9][a-z0-9_-]{0,6}[a-z0-9]$/);
    const hosts = near(/^[a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,2}$/);
    const domains = near(/^(\*\.)?[a-z0-9]{1,5}(\.[a-z0-9]{1,5})?(:[1-9][0-9]{0,3})?$/);
    let accepted = 0;
    fc.assert(fc.property(names, hosts, domains, (name, host, domain) => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      let envoy: EnvoySidecar;

      // WHEN
      try {
        envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, upstreams: [{ name, host, port: 80, domains: [domain] }] });
      } catch (e) {
        expect((e as Error).message).toMatch(/^\[ENVOY_UPSTREAM_INVALID\] workload 'test\/web', sidecar 'envoy': .*\. Fix: .*\.$/s);
        return;
      }

      // THEN
      const bootstrap = readBootstrap(envoy.bootstrap);
      expect(bootstrap.static_resources.listeners.map((l: any) => l.name)).toEqual(['inbound', 'outbound', 'stats']);
      expect(bootstrap.static_resources.clusters.map((c: any) => c.name)).toEqual(['local_app', 'envoy_admin', 'dynamic_forward_proxy', name]);
      expect(endpointOf(clusterOf(bootstrap, name)).address).toBe(host);
      expect(hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts.map((v: any) => [v.name, v.domains])).toEqual([[name, [domain]], ['allow_any', ['*']]]);
      // Read the way Envoy reads it (YAML 1.1), the user's strings are still the strings they were.
      const strict = readBootstrap(envoy.bootstrap);
      expect(clusterOf(strict, name).name).toBe(name);
      expect(endpointOf(clusterOf(strict, name)).address).toBe(host);
      accepted += 1;
    }), { numRuns: 500 });
    expect(accepted).toBeGreaterThan(10);
  });

  test('hostile strings are rejected', () => {
    expect(errorOf({ upstreams: [{ name: 'x', host: 'a.com\n      - name: evil', port: 80 }] }))
      .toBe('[ENVOY_UPSTREAM_INVALID] workload \'test/web\', sidecar \'envoy\': upstream \'x\': host \'a.com\n      - name: evil\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.');
    expect(errorOf({ upstreams: [{ name: 'x', host: 'a.com', port: 80, domains: ['a.com", "evil'] }] }))
      .toBe('[ENVOY_UPSTREAM_INVALID] workload \'test/web\', sidecar \'envoy\': upstream \'x\': domain \'a.com", "evil\' is not valid. Fix: pass a host, host:port, or *.suffix.');
  });

  test('user: 1000 keeps the image\'s gid 101 (Core v2 #4)', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN only the uid is chosen
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, user: 1000 });
    const c = container(podSpec(find(synth(chart), 'Deployment')), 'envoy');

    // THEN the gid stays the envoy image's own group
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 101 });
  });

  test('the bootstrap ConfigMap is in the workload\'s namespace, whatever the sidecar\'s chart (Core v2 #5)', () => {
    // GIVEN a workload in 'production' and a chart in another namespace
    const chart = newChart();
    const web = webDeployment(chart);
    const edge = new Chart(chart.node.root, 'edge', { namespace: 'edge' });

    // WHEN the sidecar is created in the other chart
    const envoy = new EnvoySidecar(edge, 'proxy', { workload: web, appPort: 8080 });
    const configMap = find(synth(edge), 'ConfigMap');
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN the ConfigMap the pod mounts is where the pod is
    expect(configMap.metadata.namespace).toBe('production');
    expect(spec.volumes).toEqual([{ name: 'envoy-config', configMap: { name: configMap.metadata.name } }]);
    expect(envoy.configMap!.metadata.namespace).toBe('production');
  });

  describe('rendering for Envoy\'s YAML 1.1 loader (issue 13 #4)', () => {
    test('YAML 1.1 words as names, hosts and domains stay strings', () => {
      // GIVEN upstream strings that YAML 1.1 (Envoy's yaml-cpp) reads as booleans or numbers when unquoted
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', {
        workload: web,
        appPort: 8080,
        upstreams: [
          { name: 'on', host: 'yes', port: 80, domains: ['N', 'off:8080'] },
          { name: 'y', host: '1e5', port: 81 },
        ],
      });

      // THEN read the way Envoy reads it, every one is the string it was
      const bootstrap = readBootstrap(envoy.bootstrap);
      expect(bootstrap.static_resources.clusters.slice(-2).map((c: any) => [c.name, endpointOf(c).address])).toEqual([['on', 'yes'], ['y', '1e5']]);
      expect(hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts.slice(0, 2).map((v: any) => [v.name, v.domains])).toEqual([
        ['on', ['N', 'off:8080']],
        ['y', ['1e5', '1e5:81']],
      ]);
    });

    test('durations are proto3 JSON Durations, never an exponent', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN the largest Duration protobuf has, and a fraction
      const envoy = new EnvoySidecar(chart, 'proxy', {
        workload: web,
        appPort: 8080,
        upstreams: [
          { ...PAYMENTS, connectTimeout: Duration.seconds(315_576_000_000), requestTimeout: Duration.millis(1500) },
          { name: 'fast', host: 'fast', port: 80, connectTimeout: Duration.millis(5) },
        ],
      });

      // THEN
      const clusters = readBootstrap(envoy.bootstrap).static_resources.clusters;
      expect(clusters.find((c: any) => c.name === 'payments').connect_timeout).toBe('315576000000s');
      expect(clusters.find((c: any) => c.name === 'fast').connect_timeout).toBe('0.005s');
      expect(envoy.bootstrap).toContain('timeout: "1.5s"');
      expect(envoy.bootstrap).not.toMatch(/\de[+-]?\d+s/);
    });

    test.each<[string, Duration]>([
      ['beyond protobuf\'s range', Duration.seconds(1e21)],
      ['one second beyond it', Duration.seconds(315_576_000_001)],
    ])('a connect timeout %s is refused', (_, connectTimeout) => {
      expect(errorOf({ upstreams: [{ ...PAYMENTS, connectTimeout }] }))
        .toBe('[ENVOY_UPSTREAM_INVALID] workload \'test/web\', sidecar \'envoy\': upstream \'payments\': the connect timeout is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(5).');
    });
  });

  describe('outbound policy (issue 13 #1, #2)', () => {
    test('ALLOW_ANY by default: a dynamic forward proxy for absolute-URL HTTP and CONNECT tunnels, HTTPS_PROXY for the app', () => {
      // GIVEN the README's usage: no upstreams
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });
      const manifests = synth(chart);

      // THEN any host goes through the dynamic forward proxy, plain HTTP and CONNECT alike
      const bootstrap = bootstrapOf(manifests);
      const outbound = hcm(listener(bootstrap, 'outbound'));
      expect(outbound.route_config.virtual_hosts).toEqual([{
        name: 'allow_any',
        domains: ['*'],
        routes: [
          { match: { connect_matcher: {} }, route: { cluster: 'dynamic_forward_proxy', timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } },
          { match: { prefix: '/' }, route: { cluster: 'dynamic_forward_proxy', timeout: '0s' } },
        ],
      }]);
      expect(outbound.upgrade_configs).toEqual([{ upgrade_type: 'CONNECT' }, { upgrade_type: 'websocket' }]);
      expect(outbound.http2_protocol_options).toEqual({ allow_connect: true });
      expect(outbound.http_protocol_options).toEqual({ allow_absolute_url: true });
      expect(outbound.local_reply_config).toBeUndefined();
      // The filter and the cluster share one DNS cache (Envoy refuses two configs of one name).
      const filter = outbound.http_filters[0];
      expect(filter.name).toBe('envoy.filters.http.dynamic_forward_proxy');
      const dfp = clusterOf(bootstrap, 'dynamic_forward_proxy');
      expect(dfp.lb_policy).toBe('CLUSTER_PROVIDED');
      expect(dfp.cluster_type.name).toBe('envoy.clusters.dynamic_forward_proxy');
      expect(dfp.cluster_type.typed_config.dns_cache_config).toEqual(filter.typed_config.dns_cache_config);
      expect(filter.typed_config.dns_cache_config).toMatchObject({ dns_lookup_family: 'V4_PREFERRED', dns_min_refresh_rate: '5s' });

      // AND the app sends HTTP and HTTPS through it
      const env = container(podSpec(find(manifests, 'Deployment')), 'app').env;
      for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) {
        expect(env).toContainEqual({ name, value: envoy.proxyUrl });
      }
    });

    test('REGISTRY_ONLY: only typed upstreams, and a 502 that names the refused host', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', {
        workload: web,
        appPort: 8080,
        outboundPolicy: EnvoyOutboundPolicy.REGISTRY_ONLY,
        upstreams: [PAYMENTS, { name: 'api', host: 'api.example.com', port: 443, tls: {} }],
      });

      // THEN
      const bootstrap = readBootstrap(envoy.bootstrap);
      const outbound = hcm(listener(bootstrap, 'outbound'));
      expect(outbound.route_config.virtual_hosts.map((v: any) => v.name)).toEqual(['payments', 'api']);
      expect(outbound.http_filters.map((f: any) => f.name)).toEqual(['envoy.filters.http.router']);
      expect(clusterOf(bootstrap, 'dynamic_forward_proxy')).toBeUndefined();
      // No route (Envoy's response flag NR) is answered with a 502 that names the host.
      expect(outbound.local_reply_config).toEqual({
        mappers: [{
          filter: { response_flag_filter: { flags: ['NR'] } },
          status_code: 502,
          body_format_override: { text_format_source: { inline_string: 'host %REQ(:AUTHORITY)% is not a registered upstream of this Envoy sidecar (outbound policy REGISTRY_ONLY)\n' } },
        }],
      });
      // A CONNECT tunnel to a plain-text upstream goes to its cluster; to a TLS-originating one it is refused with a reason.
      const [payments, api] = outbound.route_config.virtual_hosts;
      expect(payments.routes[0]).toEqual({ match: { connect_matcher: {} }, route: { cluster: 'payments', timeout: '0s', upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }] } });
      expect(api.routes[0]).toEqual({
        match: { connect_matcher: {} },
        direct_response: { status: 400, body: { inline_string: 'upstream \'api\': Envoy originates TLS to it, so send plain http:// requests through the proxy instead of a CONNECT tunnel\n' } },
      });
    });
  });

  describe('per upstream (issue 13 #3)', () => {
    test('protocol, TLS origination with SNI and a CA bundle from a ConfigMap, mTLS from a Secret, timeouts, retries, breakers, outlier detection, DNS', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      const ca = kplus.ConfigMap.fromConfigMapName(chart, 'ca', 'corp-ca');
      const client = kplus.Secret.fromSecretName(chart, 'client', 'payments-client');

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', {
        workload: web,
        appPort: 8080,
        upstreams: [{
          name: 'payments',
          host: 'payments.example.com.',
          port: 443,
          protocol: EnvoyProtocol.GRPC,
          dnsFamily: EnvoyDnsFamily.V4_ONLY,
          tls: { caBundle: EnvoyCaBundle.fromConfigMap(ca, 'bundle.pem'), clientCertificate: client },
          retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
          circuitBreaker: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200, maxRetries: 5 },
          outlierDetection: { consecutive5xx: 3, interval: Duration.seconds(5), baseEjectionTime: Duration.seconds(60), maxEjectionPercent: 50 },
        }, {
          name: 'geo',
          host: '10.0.0.7',
          port: 8443,
          protocol: EnvoyProtocol.HTTP2,
          requestTimeout: Duration.seconds(0),
          tls: { sni: 'geo.internal', caBundle: EnvoyCaBundle.fromSecret(kplus.Secret.fromSecretName(chart, 'geo-ca', 'geo-ca')) },
        }],
      });
      const manifests = synth(chart);

      // THEN the clusters
      const bootstrap = bootstrapOf(manifests);
      const payments = clusterOf(bootstrap, 'payments');
      expect(payments).toMatchObject({
        type: 'STRICT_DNS',
        dns_lookup_family: 'V4_ONLY',
        respect_dns_ttl: true,
        circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 100, max_pending_requests: 50, max_requests: 200, max_retries: 5 }] },
        outlier_detection: { consecutive_5xx: 3, interval: '5s', base_ejection_time: '60s', max_ejection_percent: 50 },
      });
      expect(endpointOf(payments).address).toBe('payments.example.com.');
      expect(payments.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({ http2_protocol_options: {} });
      expect(payments.transport_socket).toEqual({
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          'sni': 'payments.example.com',
          'common_tls_context': {
            alpn_protocols: ['h2'],
            tls_certificates: [{ certificate_chain: { filename: '/etc/envoy-tls/0/client/tls.crt' }, private_key: { filename: '/etc/envoy-tls/0/client/tls.key' } }],
            validation_context: {
              trusted_ca: { filename: '/etc/envoy-tls/0/ca/ca.crt' },
              match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'payments.example.com' } }],
            },
          },
        },
      });
      const geo = clusterOf(bootstrap, 'geo');
      expect(geo.type).toBe('STATIC');
      expect(geo.dns_lookup_family).toBeUndefined();
      expect(geo.transport_socket.typed_config.sni).toBe('geo.internal');
      expect(geo.transport_socket.typed_config.common_tls_context.validation_context.trusted_ca).toEqual({ filename: '/etc/envoy-tls/1/ca/ca.crt' });

      // AND the routes: gRPC has no request timeout by default, the retry policy is Envoy's
      const vhosts = hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts;
      expect(vhosts[0].domains).toEqual(['payments.example.com', 'payments.example.com:443']);
      expect(vhosts[0].routes[1].route).toEqual({
        cluster: 'payments',
        timeout: '0s',
        retry_policy: { retry_on: 'connect-failure,refused-stream,unavailable,cancelled', num_retries: 3, per_try_timeout: '2s' },
      });
      expect(vhosts[1].routes[1].route).toEqual({ cluster: 'geo', timeout: '0s' });

      // AND the files are mounted into Envoy only, read-only, whole
      const spec = podSpec(find(manifests, 'Deployment'));
      const c = container(spec, 'envoy');
      expect(c.volumeMounts).toEqual(expect.arrayContaining([
        { mountPath: '/etc/envoy-tls/0/ca', name: 'envoy-ca-0', readOnly: true },
        { mountPath: '/etc/envoy-tls/0/client', name: 'envoy-cert-0', readOnly: true },
        { mountPath: '/etc/envoy-tls/1/ca', name: 'envoy-ca-1', readOnly: true },
      ]));
      expect(spec.volumes).toEqual(expect.arrayContaining([
        { name: 'envoy-ca-0', configMap: { name: 'corp-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } },
        { name: 'envoy-cert-0', secret: { secretName: 'payments-client', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } },
        { name: 'envoy-ca-1', secret: { secretName: 'geo-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ]));
      expect(container(spec, 'app').volumeMounts ?? []).toEqual([]);
      expect(envoy.bootstrap).toContain('/etc/envoy-tls/0/client/tls.key');
    });

    test('TLS with the system CAs by default, HTTP/1.1 ALPN, SNI and SAN from the host', () => {
      // GIVEN
      const chart = newChart();

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', { workload: webDeployment(chart), appPort: 8080, upstreams: [{ name: 'api', host: 'api.example.com', port: 443, tls: {} }] });

      // THEN
      const tls = clusterOf(readBootstrap(envoy.bootstrap), 'api').transport_socket.typed_config;
      expect(tls.sni).toBe('api.example.com');
      expect(tls.common_tls_context).toEqual({
        alpn_protocols: ['http/1.1'],
        validation_context: {
          trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }],
        },
      });
    });
  });

  describe('inbound (issue 13 #3)', () => {
    test('defaults: WebSockets, no route timeout, the client address in X-Forwarded-For, local_app limits and idle timeout', () => {
      // GIVEN
      const chart = newChart();

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', { workload: webDeployment(chart), appPort: 8080 });

      // THEN
      const bootstrap = readBootstrap(envoy.bootstrap);
      const inbound = hcm(listener(bootstrap, 'inbound'));
      expect(inbound.use_remote_address).toBe(true);
      expect(inbound.upgrade_configs).toEqual([{ upgrade_type: 'websocket' }]);
      expect(inbound.route_config.virtual_hosts[0].routes[0].route).toEqual({ cluster: 'local_app', timeout: '0s' });
      expect(inbound.access_log).toBeUndefined();
      const app = clusterOf(bootstrap, 'local_app');
      expect(app.circuit_breakers.thresholds[0]).toEqual({ priority: 'DEFAULT', max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295 });
      expect(app.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual({
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        'common_http_protocol_options': { idle_timeout: '1s' },
        'explicit_http_config': { http_protocol_options: {} },
      });
    });

    test('HTTP/2 to a gRPC app, a route timeout, no WebSockets, an idle timeout, the JSON access log', () => {
      // GIVEN
      const chart = newChart();

      // WHEN
      const envoy = new EnvoySidecar(chart, 'proxy', {
        workload: webDeployment(chart),
        appPort: 8080,
        appProtocol: EnvoyProtocol.GRPC,
        inboundTimeout: Duration.seconds(90),
        appIdleTimeout: Duration.millis(4500),
        websockets: false,
        accessLog: true,
      });

      // THEN
      const bootstrap = readBootstrap(envoy.bootstrap);
      const inbound = hcm(listener(bootstrap, 'inbound'));
      expect(inbound.upgrade_configs).toBeUndefined();
      expect(hcm(listener(bootstrap, 'outbound')).upgrade_configs).toEqual([{ upgrade_type: 'CONNECT' }]);
      expect(inbound.route_config.virtual_hosts[0].routes[0].route.timeout).toBe('90s');
      const options = clusterOf(bootstrap, 'local_app').typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      expect(options.explicit_http_config).toEqual({ http2_protocol_options: {} });
      expect(options.common_http_protocol_options).toEqual({ idle_timeout: '4.5s' });
      for (const name of ['inbound', 'outbound']) {
        const log = hcm(listener(bootstrap, name)).access_log;
        expect(log).toHaveLength(1);
        expect(log[0].typed_config['@type']).toBe('type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog');
        expect(log[0].typed_config.log_format.json_format).toMatchObject({ direction: name, status: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%', authority: '%REQ(:AUTHORITY)%' });
      }
      expect(hcm(listener(bootstrap, 'stats')).access_log).toBeUndefined();
    });
  });

  describe('errors of v2 props', () => {
    const W = 'workload \'test/web\', sidecar \'envoy\': ';
    const U = 'ENVOY_UPSTREAM_INVALID';
    const TLS = 'ENVOY_TLS_INVALID';
    const R = 'ENVOY_RETRY_INVALID';
    const secret = () => kplus.Secret.fromSecretName(newChart(), 's', 'ca');

    test.each<[string, () => Partial<EnvoySidecarProps>, string, string]>([
      ['outbound policy', () => ({ outboundPolicy: 'OPEN' as EnvoyOutboundPolicy }), 'ENUM_INVALID', '\'outboundPolicy\' \'OPEN\' is not one of the EnvoyOutboundPolicy values. Fix: pass EnvoyOutboundPolicy.ALLOW_ANY or EnvoyOutboundPolicy.REGISTRY_ONLY.'],
      ['app protocol', () => ({ appProtocol: 'h3' as EnvoyProtocol }), 'ENUM_INVALID', '\'appProtocol\' \'h3\' is not one of the EnvoyProtocol values. Fix: pass EnvoyProtocol.HTTP1, EnvoyProtocol.HTTP2 or EnvoyProtocol.GRPC.'],
      ['inbound timeout', () => ({ inboundTimeout: Duration.seconds(1e21) }), 'DURATION_INVALID', '\'inboundTimeout\' is not a whole number of milliseconds, 0 or more, within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(60), or Duration.seconds(0) for none.'],
      ['app idle timeout', () => ({ appIdleTimeout: Duration.millis(0.5) }), 'DURATION_INVALID', '\'appIdleTimeout\' is not a whole number of milliseconds, 0 or more, within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(1), below the app\'s keep-alive timeout.'],
      ['upstream protocol', () => ({ upstreams: [{ ...PAYMENTS, protocol: 'SPDY' as EnvoyProtocol }] }), U, 'upstream \'payments\': \'SPDY\' is not a protocol. Fix: pass an EnvoyProtocol.'],
      ['DNS family', () => ({ upstreams: [{ ...PAYMENTS, dnsFamily: 'V5' as EnvoyDnsFamily }] }), U, 'upstream \'payments\': \'V5\' is not a DNS family. Fix: pass an EnvoyDnsFamily.'],
      ['request timeout', () => ({ upstreams: [{ ...PAYMENTS, requestTimeout: Duration.millis(0.5) }] }), U, 'upstream \'payments\': the request timeout is not a whole number of milliseconds, 0 or more, within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(15), or Duration.seconds(0) for none.'],
      ['circuit breaker', () => ({ upstreams: [{ ...PAYMENTS, circuitBreaker: { maxRequests: 0 } }] }), U, 'upstream \'payments\': circuit breaker \'maxRequests\' 0 is not a whole number from 1 to 4294967295. Fix: pass a whole number of connections or requests, or leave it unset for Envoy\'s default.'],
      ['consecutive 5xx', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { consecutive5xx: 0 } }] }), U, 'upstream \'payments\': outlier detection \'consecutive5xx\' 0 is not a whole number 1 or more. Fix: pass e.g. 5.'],
      ['max ejection percent', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { maxEjectionPercent: 101 } }] }), U, 'upstream \'payments\': outlier detection \'maxEjectionPercent\' 101 is not a whole percentage from 0 to 100. Fix: pass e.g. 10.'],
      ['outlier interval', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { interval: Duration.seconds(0) } }] }), U, 'upstream \'payments\': outlier detection \'interval\' is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(10).'],
      ['outlier base ejection time', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { baseEjectionTime: Duration.seconds(0) } }] }), U, 'upstream \'payments\': outlier detection \'baseEjectionTime\' is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(10).'],
      ['fractional outlier base ejection time', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { baseEjectionTime: Duration.millis(0.5) } }] }), U, 'upstream \'payments\': outlier detection \'baseEjectionTime\' is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(10).'],
      ['outlier base ejection time beyond protobuf\'s range', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { baseEjectionTime: Duration.seconds(1e12) } }] }), U, 'upstream \'payments\': outlier detection \'baseEjectionTime\' is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(10).'],
      ['outlier interval and base ejection time both bad: interval named', () => ({ upstreams: [{ ...PAYMENTS, outlierDetection: { interval: Duration.seconds(0), baseEjectionTime: Duration.seconds(0) } }] }), U, 'upstream \'payments\': outlier detection \'interval\' is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(10).'],
      ['retry attempts', () => ({ upstreams: [{ ...PAYMENTS, retries: { attempts: 11 } }] }), R, 'upstream \'payments\': 11 retry attempts is not a whole number from 0 to 10. Fix: pass e.g. 2.'],
      ['retry condition', () => ({ upstreams: [{ ...PAYMENTS, retries: { retryOn: ['5xx', 'always'] } }] }), R, 'upstream \'payments\': \'always\' is not an Envoy retry condition. Fix: pass some of 5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable.'],
      ['no retry condition', () => ({ upstreams: [{ ...PAYMENTS, retries: { retryOn: [] } }] }), R, 'upstream \'payments\': \'retryOn\' is empty, so no request would be retried. Fix: list retry conditions, or leave \'retries\' unset.'],
      ['per-try timeout', () => ({ upstreams: [{ ...PAYMENTS, retries: { perTryTimeout: Duration.seconds(0) } }] }), R, 'upstream \'payments\': the per-try timeout is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(2).'],
      ['SNI', () => ({ upstreams: [{ ...PAYMENTS, tls: { sni: 'a b' } }] }), TLS, 'upstream \'payments\': SNI \'a b\' is not a DNS name. Fix: pass the server\'s DNS name, such as \'api.example.com\'.'],
      ['SNI as an IP', () => ({ upstreams: [{ ...PAYMENTS, tls: { sni: '10.0.0.1' } }] }), TLS, 'upstream \'payments\': SNI \'10.0.0.1\' is not a DNS name. Fix: pass the server\'s DNS name, such as \'api.example.com\'.'],
      ['subject alt name', () => ({ upstreams: [{ ...PAYMENTS, tls: { subjectAltNames: ['"evil"'] } }] }), TLS, 'upstream \'payments\': subject alternative name \'"evil"\' is not a DNS name or IPv4 address. Fix: pass names such as \'api.example.com\' or addresses such as \'10.0.0.7\'.'],
      ['no subject alt names', () => ({ upstreams: [{ ...PAYMENTS, tls: { subjectAltNames: [] } }] }), TLS, 'upstream \'payments\': \'subjectAltNames\' is empty, so any certificate the CAs signed would be accepted. Fix: list the names the upstream\'s certificate carries, or leave it unset (the SNI).'],
      ['CA key', () => ({ upstreams: [{ ...PAYMENTS, tls: { caBundle: EnvoyCaBundle.fromSecret(secret(), 'ca/crt') } }] }), TLS, 'upstream \'payments\': CA bundle key \'ca/crt\' is not a ConfigMap or Secret key. Fix: pass a key of letters, digits, \'-\', \'_\' and \'.\', such as \'ca.crt\'.'],
      ['CA key starting with ..', () => ({ upstreams: [{ ...PAYMENTS, tls: { caBundle: EnvoyCaBundle.fromSecret(secret(), '..ca.crt') } }] }), TLS, 'upstream \'payments\': CA bundle key \'..ca.crt\' is not a ConfigMap or Secret key. Fix: pass a key of letters, digits, \'-\', \'_\' and \'.\', such as \'ca.crt\'.'],
      ['CA bundle', () => ({ upstreams: [{ ...PAYMENTS, tls: { caBundle: { kind: 'system' } as EnvoyCaBundle } }] }), TLS, 'upstream \'payments\': \'caBundle\' is not an EnvoyCaBundle. Fix: pass EnvoyCaBundle.system(), fromConfigMap() or fromSecret().'],
      ['upstream host with a trailing dot only', () => ({ upstreams: [{ ...PAYMENTS, host: '.' }] }), U, 'upstream \'payments\': host \'.\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
    ])('%s', (_, props, code, message) => {
      expect(errorOf(props())).toBe(`[${code}] ${W}${message}`);
    });
  });

  describe('envoySpec (pure, no constructs added)', () => {
    test('declares the bootstrap, ports with their props, the app port, env and pod metadata', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      const props: EnvoySidecarProps = { workload: web, appPort: 8080, metricsPort: 9901, noProxy: ['.svc'] };
      const before = chart.node.findAll().length;

      // WHEN
      const spec = envoySpec(props, specContext(chart, props, 'envoy'));

      // THEN
      expect(chart.node.findAll().length).toBe(before);
      expect(spec.image).toBe(SidecarImages.ENVOY);
      expect([spec.imageUser, spec.imageGroup, spec.kind, spec.profile]).toEqual([101, 101, 'envoy', SidecarProfile.PROXY]);
      expect(spec.alertPack).toBe(EnvoySidecar.ALERT_PACK);
      expect(spec.ports).toEqual([
        { number: 15001, name: 'envoy-outbound', prop: 'outboundPort' },
        { number: 15006, name: 'envoy-inbound', prop: 'inboundPort' },
        { number: 15000, name: 'envoy-admin', prop: 'adminPort' },
        { number: 9901, name: 'envoy-stats', prop: 'metricsPort' },
      ]);
      expect(spec.appPorts).toEqual([{ number: 8080, prop: 'appPort' }]);
      expect(spec.metrics).toEqual({ portName: 'envoy-stats', path: '/stats/prometheus' });
      expect(spec.configDir).toBe('/etc/envoy');
      expect(Object.keys(spec.configFiles!)).toEqual(['envoy.yaml']);
      const bootstrap = readBootstrap(spec.configFiles!['envoy.yaml']);
      expect(listener(bootstrap, 'stats').address.socket_address.port_value).toBe(9901);
      expect(endpointOf(clusterOf(bootstrap, 'local_app')).port_value).toBe(8080);
      expect(spec.args?.slice(0, 2)).toEqual(['-c', '/etc/envoy/envoy.yaml']);
      expect(Object.keys(spec.appEnvVariables!)).toEqual(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']);
      expect(spec.appEnvVariables!.NO_PROXY.value).toBe('localhost,127.0.0.1,.svc');
      expect(spec.podAnnotations).toEqual({ 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' });
      expect(spec.podLabels).toEqual({ 'sidecar.istio.io/inject': 'false' });
      expect(spec.shutdownBudget?.toSeconds()).toBe(0);
    });

    test('proxyEnv and meshInjectionOptOut off: no app env, no pod metadata', () => {
      // GIVEN
      const chart = newChart();
      const props: EnvoySidecarProps = { workload: webDeployment(chart), appPort: 8080, proxyEnv: false, meshInjectionOptOut: false };

      // WHEN
      const spec = envoySpec(props, specContext(chart, props, 'envoy'));

      // THEN
      expect([spec.appEnvVariables, spec.podAnnotations, spec.podLabels]).toEqual([undefined, undefined, undefined]);
    });

    test('raises through the context', () => {
      // GIVEN
      const chart = newChart();
      const props: EnvoySidecarProps = { workload: webDeployment(chart), appPort: 8080, name: 'edge', upstreams: [{ ...PAYMENTS, name: 'local_app' }] };

      // THEN
      expect(() => envoySpec(props, specContext(chart, props, 'envoy')))
        .toThrow(/^\[ENVOY_UPSTREAM_INVALID\] workload 'test\/web', sidecar 'edge': upstream name 'local_app' is reserved/);
    });
  });

  describe('errors', () => {
    const W = 'workload \'test/web\', sidecar \'envoy\': ';
    const U = 'ENVOY_UPSTREAM_INVALID';

    test.each<[string, Partial<EnvoySidecarProps>, string, string]>([
      ['app port', { appPort: 0 }, 'PORT_INVALID', '\'appPort\' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'appPort\'.'],
      ['listener port', { metricsPort: 70000 }, 'PORT_INVALID', '\'metricsPort\' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'metricsPort\'.'],
      ['two listeners on one port', { adminPort: 15090 }, 'PORT_DUPLICATE', '\'adminPort\' and \'metricsPort\' are both 15090. Fix: give \'adminPort\' and \'metricsPort\' different port numbers.'],
      ['app on an Envoy port', { appPort: 15001 }, 'PORT_DUPLICATE', '\'appPort\' and \'outboundPort\' are both 15001. Fix: give \'appPort\' and \'outboundPort\' different port numbers.'],
      ['drain time', { drainTime: Duration.millis(1500) }, 'DURATION_INVALID', '\'drainTime\' is not a whole number of seconds, 0 or more. Fix: pass e.g. Duration.seconds(10) as \'drainTime\'.'],
      ['startup timeout', { startupTimeout: Duration.seconds(0) }, 'DURATION_INVALID', '\'startupTimeout\' is not a whole number of seconds of at least 1. Fix: pass e.g. Duration.seconds(10) as \'startupTimeout\'.'],
      ['concurrency', { concurrency: 0 }, 'NUMBER_INVALID', '\'concurrency\' 0 is not a whole number 1 or more. Fix: pass a whole number 1 or more as \'concurrency\'.'],
      ['drain strategy', { drainStrategy: 'slow' as EnvoyDrainStrategy }, 'ENUM_INVALID', '\'drainStrategy\' \'slow\' is not one of the EnvoyDrainStrategy values. Fix: pass EnvoyDrainStrategy.IMMEDIATE or EnvoyDrainStrategy.GRADUAL.'],
      ['no-proxy entry', { noProxy: ['a.com,b.com'] }, 'ENVOY_NO_PROXY_INVALID', '\'noProxy\' entry \'a.com,b.com\' is not a host, domain or CIDR. Fix: pass one host, domain suffix or CIDR per entry, without commas or spaces.'],
      ['upstream name', { upstreams: [{ ...PAYMENTS, name: 'Payments' }] }, U, 'upstream name \'Payments\' is not valid. Fix: use at most 60 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit.'],
      ['reserved upstream name', { upstreams: [{ ...PAYMENTS, name: 'local_app' }] }, U, 'upstream name \'local_app\' is reserved for the sidecar\'s own cluster. Fix: choose another name (\'local_app\', \'envoy_admin\', \'dynamic_forward_proxy\' are taken).'],
      ['duplicate upstream name', { upstreams: [PAYMENTS, { ...PAYMENTS, host: 'pay2', domains: ['pay2'] }] }, U, 'two upstreams are named \'payments\'. Fix: give every upstream its own name.'],
      ['upstream host', { upstreams: [{ ...PAYMENTS, host: 'http://payments' }] }, U, 'upstream \'payments\': host \'http://payments\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream IP-like host', { upstreams: [{ ...PAYMENTS, host: '10.0.0.300' }] }, U, 'upstream \'payments\': host \'10.0.0.300\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream port', { upstreams: [{ ...PAYMENTS, port: 1.5 }] }, U, 'upstream \'payments\': port 1.5 is not a valid port number. Fix: pass an integer from 1 to 65535.'],
      ['upstream DNS type', { upstreams: [{ ...PAYMENTS, dnsType: 'EDS' as EnvoyDnsType }] }, U, 'upstream \'payments\': \'EDS\' is not a DNS type. Fix: pass an EnvoyDnsType.'],
      ['STATIC with a name', { upstreams: [{ ...PAYMENTS, dnsType: EnvoyDnsType.STATIC }] }, U, 'upstream \'payments\': a STATIC upstream needs an IPv4 address, not \'payments.production.svc.cluster.local\'. Fix: use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name.'],
      ['connect timeout', { upstreams: [{ ...PAYMENTS, connectTimeout: Duration.millis(0) }] }, U, 'upstream \'payments\': the connect timeout is not a positive, whole number of milliseconds within protobuf\'s Duration range. Fix: pass e.g. Duration.seconds(5).'],
      ['no domains', { upstreams: [{ ...PAYMENTS, domains: [] }] }, U, 'upstream \'payments\' has no domains, so no request can reach it. Fix: leave \'domains\' unset (the host and host:port), or list the request hosts.'],
      ['bad domain', { upstreams: [{ ...PAYMENTS, domains: ['pay*ments'] }] }, U, 'upstream \'payments\': domain \'pay*ments\' is not valid. Fix: pass a host, host:port, or *.suffix.'],
      ['domain port', { upstreams: [{ ...PAYMENTS, domains: ['payments:0'] }] }, U, 'upstream \'payments\': domain \'payments:0\' is not valid. Fix: pass a host, host:port, or *.suffix.'],
      ['shared domain', { upstreams: [PAYMENTS, { name: 'payments-v2', host: 'payments-v2', port: 80, domains: ['Payments.production.svc.cluster.local'] }] }, U, 'domain \'Payments.production.svc.cluster.local\' is routed to both upstreams \'payments\' and \'payments-v2\'. Fix: route each request host to one upstream (set \'domains\').'],
    ])('%s', (_, props, code, message) => {
      expect(errorOf(props)).toBe(`[${code}] ${W}${message}`);
    });

    test('a Service port out of range', () => {
      // GIVEN
      const chart = newChart();
      const envoy = new EnvoySidecar(chart, 'proxy', { workload: webDeployment(chart), appPort: 8080 });

      // THEN
      expect(() => envoy.exposeViaService({ port: 0 }))
        .toThrow(`[PORT_INVALID] ${W}'port' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'port'.`);
    });

    test('an appPort no app container declares (Core v2 #6)', () => {
      // GIVEN an app that listens on 8080
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN Envoy forwards to 9090
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 9090 });

      // THEN
      expect(() => synth(chart)).toThrow(`[APP_PORT_MISSING] ${W}'appPort' 9090 is no port of the app containers (they declare 8080), so every request forwarded to it would fail. Fix: set 'appPort' to the port the app listens on, and declare that port on the app container (portNumber: 9090).`);
    });

    test('an appPort on an app that declares no port', () => {
      // GIVEN
      const chart = newChart();
      const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

      // THEN
      expect(() => synth(chart)).toThrow(/\[APP_PORT_MISSING\] .*'appPort' 8080 is no port of the app containers \(they declare none\)/);
    });

    test('an app container on 15001 collides with the outbound listener', () => {
      // GIVEN
      const chart = newChart();
      const web = new kplus.Deployment(chart, 'web', {
        containers: [
          { name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 },
          { name: 'debug', image: 'debug:v1', portNumber: 15001 },
        ],
      });

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

      // THEN
      expect(() => synth(chart)).toThrow(`[PORT_IN_USE] ${W}port 15001/TCP ('outboundPort') is also used by container 'debug' (containers of a pod share one network namespace). Fix: move one of them to a free port (set 'outboundPort', or the port of 'debug').`);
    });

    test('two Envoys on one pod collide on their ports', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });
      new EnvoySidecar(chart, 'proxy2', { workload: web, appPort: 8080, name: 'envoy-2' });

      // THEN
      expect(() => synth(chart)).toThrow('[PORT_IN_USE] workload \'test/web\', sidecar \'envoy-2\': port 15001/TCP (\'outboundPort\') is also used by container \'envoy\'');
    });

    test('LEGACY on a Job', () => {
      // GIVEN
      const chart = newChart();
      const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'migrate:v1', portNumber: 9000 }] });

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: job, appPort: 9000, mode: SidecarMode.LEGACY });

      // THEN
      expect(() => synth(chart)).toThrow('[LEGACY_ON_COMPLETION] workload \'test/migrate\', sidecar \'envoy\': a LEGACY sidecar is an ordinary container that never exits, and a Job completes only when all its containers have exited, so it would never complete. Fix: use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar.');
    });

    test('a grace period limit below app + LEGACY Envoy\'s wait', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, mode: SidecarMode.LEGACY });

      // WHEN
      PodSidecars.of(web).limitTerminationGracePeriod(Duration.seconds(31));

      // THEN
      expect(() => synth(chart)).toThrow('[GRACE_PERIOD_TOO_SHORT] workload \'test/web\': terminationGracePeriodSeconds is limited to 31s, but the pod needs 32s (app 30s + envoy 2s).');
    });

    test('NATIVE Envoy\'s drain hook runs in parallel with the app: it counts only past the app\'s own stop', () => {
      // GIVEN native Envoy (drain hook, read timeout 2 s) on an app that stops in 30 s, and on one that stops in 1 s
      const chart = newChart();
      const slow = webDeployment(chart, 'slow');
      const fast = webDeployment(chart, 'fast');
      const slowProxy = new EnvoySidecar(chart, 'proxy', { workload: slow, appPort: 8080 });
      new EnvoySidecar(chart, 'proxy2', { workload: fast, appPort: 8080 });
      PodSidecars.of(fast).declareAppShutdown(Duration.seconds(1));

      // WHEN the pods are synthesized
      // THEN nothing is added to 30 s, and the hook's 2 s cover the 1 s app; nothing after the app
      expect([slowProxy.preStopBudget.toSeconds(), slowProxy.shutdownBudget.toSeconds()]).toEqual([2, 0]);
      expect(PodSidecars.of(slow).terminationGracePeriod.toSeconds()).toBe(30);
      expect(PodSidecars.of(fast).terminationGracePeriod.toSeconds()).toBe(2);
    });
  });
});
