import { mkdtempSync, readdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { PodSidecars, Sidecar, SidecarMode, SidecarVolumeSource } from '../../src/core';
import { find, newChart, podSpec, synth, webDeployment } from '../util';

const IMAGE = 'envoyproxy/envoy:v1.33.2';

/** The message of the error `call` throws, or '' when it throws none. */
function errorOf(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('APP_PORT_MISSING: a sidecar forwards to a port an app container declares', () => {
  // Defect #6 (issue 12), generic form: an `appPort` none of the app's ports
  // synthesized silently, and every forwarded request failed at run time.
  test('an app port no app container declares is a synth error naming the prop and the declared ports', () => {
    // GIVEN an app that listens on 8080
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN a proxy forwards to 9090
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, appPorts: [{ number: 9090, prop: 'appPort' }] });

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[APP_PORT_MISSING] workload 'test/web', sidecar 'proxy': 'appPort' 9090 is no port of the app containers (they declare 8080), so every request forwarded to it would fail. Fix: set 'appPort' to the port the app listens on, and declare that port on the app container (portNumber: 9090).",
    );
  });

  test('an app that declares no port at all', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, appPorts: [{ number: 8080, prop: 'appPort' }] });
    expect(() => Testing.synth(chart)).toThrow("[APP_PORT_MISSING] workload 'test/web', sidecar 'proxy': 'appPort' 8080 is no port of the app containers (they declare none), so every request forwarded to it would fail.");
  });

  test('a port any served app container declares is fine', () => {
    // GIVEN two app containers; the second one listens on 9090
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }, { name: 'admin', image: 'admin:1.0.0', portNumber: 9090 }],
    });

    // WHEN
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, appPorts: [{ number: 8080, prop: 'appPort' }, { number: 9090, prop: 'adminPort' }] });

    // THEN
    expect(() => synth(chart)).not.toThrow();
  });

  test('only the app containers the sidecar serves count', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', {
      containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 8080 }, { name: 'worker', image: 'worker:1.0.0' }],
    });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, appContainers: ['worker'], appPorts: [{ number: 8080, prop: 'appPort' }] });
    expect(() => Testing.synth(chart)).toThrow(/\[APP_PORT_MISSING\] .*'appPort' 8080 is no port of the app containers \(they declare none\)/);
  });

  test('a port only an init container declares does not count', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
    web.addInitContainer({ name: 'migrate', image: 'migrate:1.0.0', portNumber: 8080 });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, appPorts: [{ number: 8080, prop: 'appPort' }] });
    expect(() => Testing.synth(chart)).toThrow(/\[APP_PORT_MISSING\] /);
  });
});

describe('PORT_IN_USE names the prop the port came from', () => {
  test('a sidecar port from a prop, also used by the app', () => {
    // GIVEN an app on 15001 (the proxy's outbound port)
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 15001 }] });

    // WHEN
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, ports: [{ number: 15001, name: 'outbound', prop: 'outboundPort' }] });

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[PORT_IN_USE] workload 'test/web', sidecar 'proxy': port 15001/TCP ('outboundPort') is also used by container 'app' (containers of a pod share one network namespace). Fix: move one of them to a free port (set 'outboundPort', or the port of 'app').",
    );
  });

  test('a LEGACY sidecar collides with the app too', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 9102 }] });
    new Sidecar(chart, 'exporter', { workload: web, image: IMAGE, mode: SidecarMode.LEGACY, ports: [{ number: 9102, prop: 'metricsPort' }] });
    expect(() => Testing.synth(chart)).toThrow("[PORT_IN_USE] workload 'test/web', sidecar 'exporter': port 9102/TCP ('metricsPort') is also used by container 'app'");
  });

  test('an init container that has finished before the sidecar runs does not collide', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    web.addInitContainer({ name: 'migrate', image: 'migrate:1.0.0', portNumber: 15001 });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, beforeInitContainers: false, ports: [{ number: 15001, prop: 'outboundPort' }] });
    expect(() => synth(chart)).not.toThrow();
  });
});

describe('POD_CLAIM_CONFLICT: what one construct per pod may do is done once', () => {
  test('a second claim of one key is a synth error naming both claimants', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    new Sidecar(chart, 'secrets', { workload: web, image: IMAGE });

    // WHEN
    PodSidecars.of(web)._claim('vault-agent', "sidecar 'secrets'", 'a Vault Agent');
    PodSidecars.of(web)._claim('vault-agent', 'the vault-k8s injector annotations', 'a Vault Agent');

    // THEN
    expect(() => Testing.synth(chart)).toThrow(
      "[POD_CLAIM_CONFLICT] workload 'test/web', sidecar 'vault-agent': sidecar 'secrets' and the vault-k8s injector annotations both add a Vault Agent to the pod, so it would run two. Fix: keep one of them on this workload.",
    );
  });

  test('is found on a pod without any sidecar (annotations only)', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    PodSidecars.of(web)._claim('vault-agent', 'injector annotations \'a\'', 'a Vault Agent');
    PodSidecars.of(web)._claim('vault-agent', 'injector annotations \'b\'', 'a Vault Agent');
    expect(() => Testing.synth(chart)).toThrow(/\[POD_CLAIM_CONFLICT\] workload 'test\/web', sidecar 'vault-agent': injector annotations 'a' and injector annotations 'b' both add/);
  });

  test('one claim per key is fine, and keys do not meet', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    PodSidecars.of(web)._claim('vault-agent', "sidecar 'secrets'", 'a Vault Agent');
    PodSidecars.of(web)._claim('mesh-proxy', "sidecar 'proxy'", 'a mesh proxy');
    expect(() => synth(chart)).not.toThrow();
  });

  test('three claims give two errors', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    for (const by of ['a', 'b', 'c']) PodSidecars.of(web)._claim('vault-agent', `sidecar '${by}'`, 'a Vault Agent');
    const message = errorOf(() => Testing.synth(chart));
    expect(message.match(/\[POD_CLAIM_CONFLICT\]/g)).toHaveLength(2);
    expect(message).toContain("sidecar 'a' and sidecar 'c' both add");
  });
});

describe('pod errors fail synthesis', () => {
  test('every problem of every pod is reported in one error, and nothing is written', () => {
    // GIVEN an app writing to a fresh directory, with two pods that each have a problem
    const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-sidecars-'));
    const app = new App({ outdir });
    const chart = new Chart(app, 'shop', { namespace: 'production' });
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 15001 }] });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, ports: [{ number: 15001, prop: 'outboundPort' }] });
    const job = new kplus.Job(chart, 'migrate', { containers: [{ name: 'task', image: 'task:1.0.0' }] });
    new Sidecar(chart, 'logs', { workload: job, image: IMAGE, mode: SidecarMode.LEGACY });

    // WHEN
    const message = errorOf(() => app.synth());

    // THEN
    expect(message).toMatch(/^Validation failed with the following errors:\n/);
    expect(message).toContain("[PORT_IN_USE] workload 'shop/web', sidecar 'proxy'");
    expect(message).toContain("[LEGACY_ON_COMPLETION] workload 'shop/migrate', sidecar 'logs'");
    expect(readdirSync(outdir)).toEqual([]);
  });

  test('the pod is arranged once: a second synthesis gives the same errors', () => {
    const chart = newChart();
    const web = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0', portNumber: 15001 }] });
    new Sidecar(chart, 'proxy', { workload: web, image: IMAGE, ports: [{ number: 15001, prop: 'outboundPort' }] });
    const first = errorOf(() => Testing.synth(chart));
    expect(first).toContain('[PORT_IN_USE]');
    expect(errorOf(() => Testing.synth(chart))).toBe(first);
  });
});

describe('CDK8S_PLUS_UNSUPPORTED guards', () => {
  test('a cdk8s-plus-28 release that builds volumes differently (simulated) is refused, naming the construct', () => {
    // GIVEN a cdk8s-plus whose volumes do not render the projected source they were built with
    const chart = newChart();
    const s = new Sidecar(chart, 'agent', { workload: webDeployment(chart), image: IMAGE });
    const spy = jest.spyOn(kplus.Volume.prototype, '_toKube').mockReturnValue({ name: 'token' } as any);

    // WHEN / THEN
    try {
      expect(() => s.addVolume({ name: 'token', source: SidecarVolumeSource.serviceAccountToken(), path: '/token' })).toThrow(
        "[CDK8S_PLUS_UNSUPPORTED] construct 'test/agent': this cdk8s-plus-28 release builds volumes in a way cdk8s-sidecars does not know. Fix: use cdk8s-plus-28 2.5.x, the range this library supports.",
      );
    } finally {
      spy.mockRestore();
    }
  });

  test('with the supported release, the same volume renders', () => {
    const chart = newChart();
    const s = new Sidecar(chart, 'agent', { workload: webDeployment(chart), image: IMAGE });
    s.addVolume({ name: 'token', source: SidecarVolumeSource.serviceAccountToken(), path: '/token' });
    expect(podSpec(find(synth(chart), 'Deployment')).volumes).toEqual([
      { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
    ]);
  });
});
