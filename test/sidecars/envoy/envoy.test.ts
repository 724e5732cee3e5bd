import { spawn } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import {
  EnvoyDnsType, EnvoyDrainStrategy, EnvoySidecar, EnvoySidecarProps, PodSidecars, Sidecar,
  SidecarImages, SidecarMode, SidecarProfile,
} from '../../../src';
import { specContext } from '../../../src/core/spec';
import { envoySpec } from '../../../src/sidecars/envoy/spec';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment } from '../../util';

const PAYMENTS = { name: 'payments', host: 'payments.production.svc.cluster.local', port: 80 };

/** The parsed envoy.yaml of the (one) Envoy ConfigMap. */
function bootstrapOf(manifests: any[]): any {
  return parse(find(manifests, 'ConfigMap').data['envoy.yaml']);
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

/** Runs an exec handler's command (bash) and resolves with its exit code and stderr. */
function run(command: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1));
    let stderr = '';
    child.stderr.on('data', d => stderr += d);
    child.on('close', code => resolve({ code, stderr }));
  });
}

/** A stand-in for Envoy's admin listener on loopback that records the requests. */
async function fakeAdmin(readyAfterMs: number): Promise<{ port: number; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const started = Date.now();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/ready') {
      const live = Date.now() - started >= readyAfterMs;
      res.writeHead(live ? 200 : 503).end(live ? 'LIVE\n' : 'PRE_INITIALIZING\n');
    } else if (req.method === 'POST' && req.url === '/drain_listeners?inboundonly&graceful') {
      res.writeHead(200).end('OK\n');
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
    expect(c.image).toBe('envoyproxy/envoy:v1.33.2');
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
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/ready', port: 15090 }, periodSeconds: 1, failureThreshold: 60 });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 15090 } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/server_info', port: 15090 } });
    expect(c.lifecycle.postStart).toBeUndefined();
    expect(c.lifecycle.preStop.exec.command[0]).toBe('bash');
    expect(c.lifecycle.preStop.exec.command[2]).toContain('POST /drain_listeners?inboundonly&graceful HTTP/1.1');
    expect(c.lifecycle.preStop.exec.command[2]).toContain('sleep 10');
    expect(c.volumeMounts).toEqual([{ mountPath: '/etc/envoy', name: 'envoy-config', readOnly: true }]);
    expect(spec.volumes).toEqual([{ name: 'envoy-config', configMap: { name: find(manifests, 'ConfigMap').metadata.name } }]);
    // app 30s + drain 10s + 5s margin
    expect(spec.terminationGracePeriodSeconds).toBe(45);
    expect(envoy.shutdownBudget.toSeconds()).toBe(15);

    const app = container(spec, 'app');
    expect(app.env).toEqual([
      { name: 'HTTP_PROXY', value: 'http://127.0.0.1:15001' },
      { name: 'http_proxy', value: 'http://127.0.0.1:15001' },
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
    expect(parse(envoy.bootstrap)).toEqual(bootstrap);
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
      expect(m.http_filters).toEqual([{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }]);
    }

    expect(hcm(listener(bootstrap, 'inbound')).route_config.virtual_hosts).toEqual([
      { name: 'local_app', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'local_app' } }] },
    ]);
    expect(hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts).toEqual([
      { name: 'payments', domains: ['payments.production.svc.cluster.local', 'payments.production.svc.cluster.local:80'], routes: [{ match: { prefix: '/' }, route: { cluster: 'payments' } }] },
      { name: 'geo', domains: ['geo', 'geo:80'], routes: [{ match: { prefix: '/' }, route: { cluster: 'geo' } }] },
      { name: 'legacy-db_proxy', domains: ['10.0.0.7', '10.0.0.7:8000'], routes: [{ match: { prefix: '/' }, route: { cluster: 'legacy-db_proxy' } }] },
    ]);
    expect(hcm(listener(bootstrap, 'outbound')).http_protocol_options).toEqual({ allow_absolute_url: true });
    expect(hcm(listener(bootstrap, 'inbound')).http_protocol_options).toBeUndefined();
    const stats = hcm(listener(bootstrap, 'stats')).route_config.virtual_hosts;
    expect(stats).toHaveLength(1);
    expect(stats[0].routes.map((r: any) => [r.match.path, r.match.prefix, r.match.headers, r.route.cluster])).toEqual([
      ['/stats/prometheus', undefined, [{ name: ':method', string_match: { exact: 'GET' } }], 'envoy_admin'],
      ['/ready', undefined, [{ name: ':method', string_match: { exact: 'GET' } }], 'envoy_admin'],
      ['/server_info', undefined, [{ name: ':method', string_match: { exact: 'GET' } }], 'envoy_admin'],
    ]);

    const clusters = bootstrap.static_resources.clusters;
    expect(clusters.map((c: any) => [c.name, c.type, c.connect_timeout, endpointOf(c).address, endpointOf(c).port_value])).toEqual([
      ['local_app', 'STATIC', '5s', '127.0.0.1', 8080],
      ['envoy_admin', 'STATIC', '1s', '127.0.0.1', 15000],
      ['payments', 'STRICT_DNS', '5s', 'payments.production.svc.cluster.local', 80],
      ['geo', 'LOGICAL_DNS', '0.25s', 'api.geo.example.com', 443],
      ['legacy-db_proxy', 'STATIC', '5s', '10.0.0.7', 8000],
    ]);
    for (const c of clusters) expect(c.load_assignment.cluster_name).toBe(c.name);
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
    expect(c.startupProbe.httpGet.port).toBe(16090);
    expect(c.livenessProbe.httpGet.port).toBe(16090);
    expect(c.args).toEqual(['-c', '/etc/envoy/envoy.yaml', '--concurrency', '4', '--drain-time-s', '20', '--drain-strategy', 'gradual', '--disable-hot-restart']);
    expect(c.lifecycle.preStop.exec.command[2]).toContain('/dev/tcp/127.0.0.1/16000');
    expect(c.lifecycle.preStop.exec.command[2]).toContain('sleep 20');
    expect(spec.terminationGracePeriodSeconds).toBe(55);
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
    expect(c.lifecycle.postStart.exec.command[2]).toContain('for _ in $(seq 1 30)');
    expect(c.lifecycle.postStart.exec.command[2]).toContain('GET /ready HTTP/1.1');
    expect(c.lifecycle.preStop.exec.command[2]).toContain('drain_listeners');
  });

  test('the legacy startup hook blocks until the admin /ready answers 200', async () => {
    // GIVEN an admin listener that becomes ready after 1.5s
    const admin = await fakeAdmin(1500);
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, mode: SidecarMode.LEGACY, adminPort: admin.port, startupTimeout: Duration.seconds(10) });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.postStart.exec.command;

    // WHEN
    const started = Date.now();
    const result = await run(hook);
    await admin.close();

    // THEN
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(admin.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(admin.requests)).toEqual(new Set(['GET /ready']));
  }, 20000);

  test('the legacy startup hook fails when Envoy never becomes ready', async () => {
    // GIVEN an admin port where nothing listens
    const admin = await fakeAdmin(0);
    const port = admin.port;
    await admin.close();
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, mode: SidecarMode.LEGACY, adminPort: port, startupTimeout: Duration.seconds(2) });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.postStart.exec.command;

    // WHEN
    const result = await run(hook);

    // THEN
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('envoy was not ready after 2s\n');
  }, 20000);

  test('the preStop hook asks the admin listener to drain, then waits the drain time', async () => {
    // GIVEN
    const admin = await fakeAdmin(0);
    const chart = newChart();
    const web = webDeployment(chart);
    new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, adminPort: admin.port, drainTime: Duration.seconds(1) });
    const hook = container(podSpec(find(synth(chart), 'Deployment')), 'envoy').lifecycle.preStop.exec.command;

    // WHEN
    const started = Date.now();
    const result = await run(hook);
    await admin.close();

    // THEN
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(admin.requests).toEqual(['POST /drain_listeners?inboundonly&graceful']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }, 20000);

  test('drainTime 0: no preStop hook and no shutdown budget', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const envoy = new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080, drainTime: Duration.seconds(0) });
    const spec = podSpec(find(synth(chart), 'Deployment'));

    // THEN
    expect(envoy.shutdownBudget.toSeconds()).toBe(0);
    expect(container(spec, 'envoy').lifecycle).toBeUndefined();
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
      const bootstrap = parse(envoy.bootstrap);
      expect(bootstrap.static_resources.listeners.map((l: any) => l.name)).toEqual(['inbound', 'outbound', 'stats']);
      expect(bootstrap.static_resources.clusters.map((c: any) => c.name)).toEqual(['local_app', 'envoy_admin', name]);
      expect(endpointOf(clusterOf(bootstrap, name)).address).toBe(host);
      expect(hcm(listener(bootstrap, 'outbound')).route_config.virtual_hosts[0].domains).toEqual([domain]);
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
      const bootstrap = parse(spec.configFiles!['envoy.yaml']);
      expect(listener(bootstrap, 'stats').address.socket_address.port_value).toBe(9901);
      expect(endpointOf(clusterOf(bootstrap, 'local_app')).port_value).toBe(8080);
      expect(spec.args?.slice(0, 2)).toEqual(['-c', '/etc/envoy/envoy.yaml']);
      expect(Object.keys(spec.appEnvVariables!)).toEqual(['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']);
      expect(spec.appEnvVariables!.NO_PROXY.value).toBe('localhost,127.0.0.1,.svc');
      expect(spec.podAnnotations).toEqual({ 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' });
      expect(spec.podLabels).toEqual({ 'sidecar.istio.io/inject': 'false' });
      expect(spec.shutdownBudget?.toSeconds()).toBe(15);
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
      ['reserved upstream name', { upstreams: [{ ...PAYMENTS, name: 'local_app' }] }, U, 'upstream name \'local_app\' is reserved for the sidecar\'s own cluster. Fix: choose another name (\'local_app\' and \'envoy_admin\' are taken).'],
      ['duplicate upstream name', { upstreams: [PAYMENTS, { ...PAYMENTS, host: 'pay2', domains: ['pay2'] }] }, U, 'two upstreams are named \'payments\'. Fix: give every upstream its own name.'],
      ['upstream host', { upstreams: [{ ...PAYMENTS, host: 'http://payments' }] }, U, 'upstream \'payments\': host \'http://payments\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream IP-like host', { upstreams: [{ ...PAYMENTS, host: '10.0.0.300' }] }, U, 'upstream \'payments\': host \'10.0.0.300\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream port', { upstreams: [{ ...PAYMENTS, port: 1.5 }] }, U, 'upstream \'payments\': port 1.5 is not a valid port number. Fix: pass an integer from 1 to 65535.'],
      ['upstream DNS type', { upstreams: [{ ...PAYMENTS, dnsType: 'EDS' as EnvoyDnsType }] }, U, 'upstream \'payments\': \'EDS\' is not a DNS type. Fix: pass an EnvoyDnsType.'],
      ['STATIC with a name', { upstreams: [{ ...PAYMENTS, dnsType: EnvoyDnsType.STATIC }] }, U, 'upstream \'payments\': a STATIC upstream needs an IPv4 address, not \'payments.production.svc.cluster.local\'. Fix: use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name.'],
      ['connect timeout', { upstreams: [{ ...PAYMENTS, connectTimeout: Duration.millis(0) }] }, U, 'upstream \'payments\': the connect timeout is not a positive, whole number of milliseconds. Fix: pass e.g. Duration.seconds(5).'],
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

    test('a grace period limit below app + drain', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

      // WHEN
      PodSidecars.of(web).limitTerminationGracePeriod(Duration.seconds(40));

      // THEN
      expect(() => synth(chart)).toThrow('[GRACE_PERIOD_TOO_SHORT] workload \'test/web\': terminationGracePeriodSeconds is limited to 40s, but the pod needs 45s (app 30s + envoy 15s).');
    });
  });
});
