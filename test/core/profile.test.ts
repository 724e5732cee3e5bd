import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Sidecar, SidecarProfile } from '../../src/core';
import { container, find, newChart, podSpec, synth, webDeployment } from '../util';

describe('SidecarProfile', () => {
  // DESIGN's table: requests and limits per profile, and the start rank.
  test.each([
    ['LOG_COLLECTOR', SidecarProfile.LOG_COLLECTOR, { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } }, 100],
    ['SECRET_INJECTION', SidecarProfile.SECRET_INJECTION, { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } }, 200],
    ['PROXY', SidecarProfile.PROXY, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } }, 300],
    ['METRICS_EXPORTER', SidecarProfile.METRICS_EXPORTER, { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '100m', memory: '128Mi' } }, 400],
    ['CONFIG_RELOAD', SidecarProfile.CONFIG_RELOAD, { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '50m', memory: '64Mi' } }, 400],
    ['DATA_SYNC', SidecarProfile.DATA_SYNC, { requests: { cpu: '100m', memory: '128Mi' } }, 400],
  ])('%s renders its documented resources and start rank', (_name, profile, rendered, rank) => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new Sidecar(chart, 's', { workload: web, image: 'busybox:1.36.1', profile });

    // THEN
    expect(sidecar.startRank).toBe(rank);
    expect(profile.startRank).toBe(rank);
    expect(container(podSpec(find(synth(chart), 'Deployment')), 's').resources).toEqual(rendered);
  });

  test('the default profile of a generic sidecar is DATA_SYNC', () => {
    const chart = newChart();
    const sidecar = new Sidecar(chart, 's', { workload: webDeployment(chart), image: 'busybox:1.36.1' });
    expect(sidecar.profile).toBe(SidecarProfile.DATA_SYNC);
    expect(sidecar.profile.name).toBe('data-sync');
  });

  test('every value can be overridden on its own; the rest keeps the profile', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    new Sidecar(chart, 'cpu', { workload: web, image: 'busybox:1.36.1', profile: SidecarProfile.PROXY, resources: { cpu: { limit: kplus.Cpu.units(1) } } });
    new Sidecar(chart, 'mem', { workload: web, image: 'busybox:1.36.1', profile: SidecarProfile.PROXY, resources: { memory: { request: Size.mebibytes(256) } } });
    new Sidecar(chart, 'eph', { workload: web, image: 'busybox:1.36.1', profile: SidecarProfile.PROXY, resources: { ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } } });

    // THEN
    const spec = podSpec(find(synth(chart), 'Deployment'));
    expect(container(spec, 'cpu').resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(container(spec, 'mem').resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(container(spec, 'eph').resources).toEqual({ requests: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '1Gi' }, limits: { 'cpu': '500m', 'memory': '512Mi', 'ephemeral-storage': '2Gi' } });
  });

  test('custom profiles: own values, rank RANK_OTHER unless given', () => {
    // GIVEN
    const gpuSync = SidecarProfile.custom({ name: 'gpu-sync', cpuRequest: kplus.Cpu.millis(250), memoryRequest: Size.mebibytes(256), memoryLimit: Size.gibibytes(1) });
    const early = SidecarProfile.custom({ name: 'early', cpuRequest: kplus.Cpu.millis(10), memoryRequest: Size.mebibytes(16), startRank: 10 });

    // WHEN
    const resources = gpuSync.resources();

    // THEN
    expect(gpuSync.name).toBe('gpu-sync');
    expect(gpuSync.startRank).toBe(SidecarProfile.RANK_OTHER);
    expect(early.startRank).toBe(10);
    expect(resources.cpu).toEqual({ request: kplus.Cpu.millis(250), limit: undefined });
    expect(resources.memory?.limit?.toMebibytes()).toBe(1024);
  });

  test('the rank constants order log collectors, secret injectors, proxies, the rest', () => {
    const ranks = [SidecarProfile.RANK_LOG_COLLECTOR, SidecarProfile.RANK_SECRET_INJECTION, SidecarProfile.RANK_PROXY, SidecarProfile.RANK_OTHER];
    expect(ranks).toEqual([100, 200, 300, 400]);
  });

  test('a custom profile with a limit below its request is refused when a sidecar uses it', () => {
    const chart = newChart();
    const bad = SidecarProfile.custom({ name: 'bad', cpuRequest: kplus.Cpu.millis(500), memoryRequest: Size.mebibytes(64), cpuLimit: kplus.Cpu.millis(100) });
    expect(() => new Sidecar(chart, 's', { workload: webDeployment(chart), image: 'busybox:1.36.1', profile: bad })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': CPU limit 100m is below the CPU request 500m. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests).",
    );
  });

  test('a memory amount that is not whole MiB is refused', () => {
    const chart = newChart();
    expect(() => new Sidecar(chart, 's', {
      workload: webDeployment(chart), image: 'busybox:1.36.1', resources: { memory: { request: Size.kibibytes(1536) } },
    })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': memory request is not a whole number of MiB. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests).",
    );
  });

  test('ephemeral storage that is not whole GiB is refused', () => {
    const chart = newChart();
    expect(() => new Sidecar(chart, 's', {
      workload: webDeployment(chart), image: 'busybox:1.36.1', resources: { ephemeralStorage: { limit: Size.mebibytes(100) } },
    })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': ephemeral-storage limit is not a whole number of GiB. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests).",
    );
  });

  test('ephemeral storage limit below its request is refused', () => {
    const chart = newChart();
    expect(() => new Sidecar(chart, 's', {
      workload: webDeployment(chart), image: 'busybox:1.36.1', resources: { ephemeralStorage: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } },
    })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': ephemeral-storage limit 1Gi is below the ephemeral-storage request 2Gi. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests).",
    );
  });

  test('a zero memory amount is refused', () => {
    const chart = newChart();
    expect(() => new Sidecar(chart, 's', {
      workload: webDeployment(chart), image: 'busybox:1.36.1', resources: { memory: { request: Size.mebibytes(0) } },
    })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': memory request '0Mi' is not a positive amount.",
    );
  });

  test('a zero CPU amount is refused', () => {
    const chart = newChart();
    expect(() => new Sidecar(chart, 's', {
      workload: webDeployment(chart), image: 'busybox:1.36.1', resources: { cpu: { limit: kplus.Cpu.millis(0) } },
    })).toThrow(
      "[RESOURCES_INVALID] workload 'test/web', sidecar 's': CPU limit '0m' is not a positive CPU quantity in whole millicores. Fix: correct the 'resources' override (CPU in whole millicores, memory in whole MiB, ephemeral storage in whole GiB, limits not below requests).",
    );
  });
});
