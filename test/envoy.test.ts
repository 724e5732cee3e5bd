import { spawn } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import {
  EnvoyDnsType, EnvoyDrainStrategy, EnvoySidecar, EnvoySidecarProps, PodSidecars, Sidecar,
  SidecarKind, SidecarMode, SidecarProfile,
} from '../src';
import { container, containerOrder, find, newChart, podSpec, synth, webDeployment } from './util';

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
    expect(envoy.kind).toBe(SidecarKind.ENVOY);
    expect(envoy.profile).toBe(SidecarProfile.PROXY);
    expect(envoy.metrics).toEqual({ portName: 'envoy-stats', path: '/stats/prometheus' });
    expect(envoy.name).toBe('envoy');
    expect(envoy.gatesStartup).toBe(true);
    expect(envoy.proxyUrl).toBe('http://127.0.0.1:15001');
    expect([envoy.outboundPort, envoy.inboundPort, envoy.adminPort, envoy.statsPort]).toEqual([15001, 15006, 15000, 15090]);
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
      statsPort: 16090,
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
      new EnvoySidecar(chart, 'proxy', { workload: webDeployment(chart), appPort: port });
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
        expect((e as Error).message).toMatch(/^workload 'test\/web', sidecar 'envoy': .*\. Fix: .*\.$/s);
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
      .toBe('workload \'test/web\', sidecar \'envoy\': upstream \'x\': host \'a.com\n      - name: evil\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.');
    expect(errorOf({ upstreams: [{ name: 'x', host: 'a.com', port: 80, domains: ['a.com", "evil'] }] }))
      .toBe('workload \'test/web\', sidecar \'envoy\': upstream \'x\': domain \'a.com", "evil\' is not valid. Fix: pass a host, host:port, or *.suffix.');
  });

  describe('errors', () => {
    const W = 'workload \'test/web\', sidecar \'envoy\': ';

    test.each<[string, Partial<EnvoySidecarProps>, string]>([
      ['app port', { appPort: 0 }, '\'appPort\' 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'appPort\'.'],
      ['listener port', { statsPort: 70000 }, '\'statsPort\' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'statsPort\'.'],
      ['two listeners on one port', { adminPort: 15090 }, '\'adminPort\' and \'statsPort\' are both 15090. Fix: give each of Envoy\'s listeners its own port.'],
      ['app on an Envoy port', { appPort: 15001 }, 'the app port 15001 is also Envoy\'s \'outboundPort\'. Fix: move the app, or set \'outboundPort\' to a free port.'],
      ['drain time', { drainTime: Duration.millis(1500) }, '\'drainTime\' is not a whole, non-negative number of seconds. Fix: pass e.g. Duration.seconds(10).'],
      ['startup timeout', { startupTimeout: Duration.seconds(0) }, '\'startupTimeout\' is not a whole, positive number of seconds. Fix: pass e.g. Duration.seconds(60).'],
      ['concurrency', { concurrency: 0 }, '\'concurrency\' 0 is not a positive integer. Fix: pass the number of worker threads, e.g. 2.'],
      ['drain strategy', { drainStrategy: 'slow' as EnvoyDrainStrategy }, '\'slow\' is not a drain strategy. Fix: pass EnvoyDrainStrategy.IMMEDIATE or EnvoyDrainStrategy.GRADUAL.'],
      ['no-proxy entry', { noProxy: ['a.com,b.com'] }, '\'noProxy\' entry \'a.com,b.com\' is not a host, domain or CIDR. Fix: pass one host, domain suffix or CIDR per entry, without commas or spaces.'],
      ['upstream name', { upstreams: [{ ...PAYMENTS, name: 'Payments' }] }, 'upstream name \'Payments\' is not valid. Fix: use at most 60 lower-case letters, digits, \'_\' and \'-\', starting and ending with a letter or digit.'],
      ['reserved upstream name', { upstreams: [{ ...PAYMENTS, name: 'local_app' }] }, 'upstream name \'local_app\' is reserved for the sidecar\'s own cluster. Fix: choose another name (\'local_app\' and \'envoy_admin\' are taken).'],
      ['duplicate upstream name', { upstreams: [PAYMENTS, { ...PAYMENTS, host: 'pay2', domains: ['pay2'] }] }, 'two upstreams are named \'payments\'. Fix: give every upstream its own name.'],
      ['upstream host', { upstreams: [{ ...PAYMENTS, host: 'http://payments' }] }, 'upstream \'payments\': host \'http://payments\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream IP-like host', { upstreams: [{ ...PAYMENTS, host: '10.0.0.300' }] }, 'upstream \'payments\': host \'10.0.0.300\' is not a DNS name or IPv4 address. Fix: pass a name such as \'payments.production.svc.cluster.local\' or an address such as \'10.0.0.7\'.'],
      ['upstream port', { upstreams: [{ ...PAYMENTS, port: 1.5 }] }, 'upstream \'payments\': port 1.5 is not a valid port number. Fix: pass an integer from 1 to 65535.'],
      ['upstream DNS type', { upstreams: [{ ...PAYMENTS, dnsType: 'EDS' as EnvoyDnsType }] }, 'upstream \'payments\': \'EDS\' is not a DNS type. Fix: pass an EnvoyDnsType.'],
      ['STATIC with a name', { upstreams: [{ ...PAYMENTS, dnsType: EnvoyDnsType.STATIC }] }, 'upstream \'payments\': a STATIC upstream needs an IPv4 address, not \'payments.production.svc.cluster.local\'. Fix: use EnvoyDnsType.STRICT_DNS or LOGICAL_DNS for a DNS name.'],
      ['connect timeout', { upstreams: [{ ...PAYMENTS, connectTimeout: Duration.millis(0) }] }, 'upstream \'payments\': the connect timeout is not a positive, whole number of milliseconds. Fix: pass e.g. Duration.seconds(5).'],
      ['no domains', { upstreams: [{ ...PAYMENTS, domains: [] }] }, 'upstream \'payments\' has no domains, so no request can reach it. Fix: leave \'domains\' unset (the host and host:port), or list the request hosts.'],
      ['bad domain', { upstreams: [{ ...PAYMENTS, domains: ['pay*ments'] }] }, 'upstream \'payments\': domain \'pay*ments\' is not valid. Fix: pass a host, host:port, or *.suffix.'],
      ['domain port', { upstreams: [{ ...PAYMENTS, domains: ['payments:0'] }] }, 'upstream \'payments\': domain \'payments:0\' is not valid. Fix: pass a host, host:port, or *.suffix.'],
      ['shared domain', { upstreams: [PAYMENTS, { name: 'payments-v2', host: 'payments-v2', port: 80, domains: ['Payments.production.svc.cluster.local'] }] }, 'domain \'Payments.production.svc.cluster.local\' is routed to both upstreams \'payments\' and \'payments-v2\'. Fix: route each request host to one upstream (set \'domains\').'],
    ])('%s', (_, props, message) => {
      expect(errorOf(props)).toBe(W + message);
    });

    test('a Service port out of range', () => {
      // GIVEN
      const chart = newChart();
      const envoy = new EnvoySidecar(chart, 'proxy', { workload: webDeployment(chart), appPort: 8080 });

      // THEN
      expect(() => envoy.exposeViaService({ port: 0 })).toThrow(W + 'Service port 0 is not a valid port number. Fix: pass an integer from 1 to 65535 as \'port\'.');
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
      expect(() => synth(chart)).toThrow(W + 'port 15001/TCP is also used by container \'debug\' (containers of a pod share one network namespace). Fix: move one of them to a free port (set this sidecar\'s port props, or the port of \'debug\').');
    });

    test('two Envoys on one pod collide on their ports', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });
      new EnvoySidecar(chart, 'proxy2', { workload: web, appPort: 8080, name: 'envoy-2' });

      // THEN
      expect(() => synth(chart)).toThrow('workload \'test/web\', sidecar \'envoy-2\': port 15001/TCP is also used by container \'envoy\'');
    });

    test('LEGACY on a Job', () => {
      // GIVEN
      const chart = newChart();
      const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'migrate', image: 'migrate:v1' }] });

      // WHEN
      new EnvoySidecar(chart, 'proxy', { workload: job, appPort: 9000, mode: SidecarMode.LEGACY });

      // THEN
      expect(() => synth(chart)).toThrow('workload \'test/migrate\', sidecar \'envoy\': a LEGACY sidecar is an ordinary container that never exits, and a Job completes only when all its containers have exited, so it would never complete. Fix: use SidecarMode.NATIVE for this sidecar (Kubernetes 1.29+, or 1.28 with the SidecarContainers feature gate), or move the work out of the sidecar.');
    });

    test('a grace period limit below app + drain', () => {
      // GIVEN
      const chart = newChart();
      const web = webDeployment(chart);
      new EnvoySidecar(chart, 'proxy', { workload: web, appPort: 8080 });

      // WHEN
      PodSidecars.of(web).limitTerminationGracePeriod(Duration.seconds(40));

      // THEN
      expect(() => synth(chart)).toThrow('workload \'test/web\': terminationGracePeriodSeconds is limited to 40s, but the pod needs 45s (app 30s + envoy 15s).');
    });
  });
});
