import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Sidecar, SidecarMode, SidecarProfile, SidecarSpec } from '../../src/core';
import { namedSidecarProps, NamedSidecarProps, SpecContext, specContext } from '../../src/core/spec';
import { container, find, newChart, podSpec, synth, webDeployment } from '../util';

/** A small named sidecar, written the way every named sidecar is: props, a pure spec(), a construct. */
interface RcloneSidecarProps extends NamedSidecarProps {
  readonly remote: string;
  readonly rcPort?: number;
}

function rcloneSpec(props: RcloneSidecarProps, context: SpecContext): SidecarSpec {
  const rcPort = context.checks.port('rcPort', props.rcPort ?? 5572);
  context.checks.dnsLabel('remote', props.remote);
  return {
    image: 'rclone/rclone:1.68.2',
    kind: 'rclone',
    profile: SidecarProfile.DATA_SYNC,
    args: ['rcd', `--rc-addr=:${rcPort}`, `--remote=${props.remote}`],
    ports: [{ number: rcPort, name: 'rc', prop: 'rcPort' }],
    configFiles: context.runsToCompletion ? undefined : { 'rclone.conf': `[${props.remote}]\n` },
  };
}

class RcloneSidecar extends Sidecar {
  constructor(scope: Construct, id: string, props: RcloneSidecarProps) {
    super(scope, id, namedSidecarProps(scope, props, 'rclone', rcloneSpec));
  }
}

describe('specContext', () => {
  test('names the sidecar by its default name unless the props choose one', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(specContext(chart, { workload: web }, 'rclone').name).toBe('rclone');
    expect(specContext(chart, { workload: web, name: 'sync' }, 'rclone').name).toBe('sync');
  });

  test('knows the mode the sidecar will have: the props\', else the scope\'s default', () => {
    // GIVEN a chart switched to LEGACY
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    Sidecar.setDefaultMode(chart, SidecarMode.LEGACY);
    const web = webDeployment(chart);

    // WHEN / THEN
    expect(specContext(chart, { workload: web }, 'rclone').mode).toBe(SidecarMode.LEGACY);
    expect(specContext(chart, { workload: web, mode: SidecarMode.NATIVE }, 'rclone').mode).toBe(SidecarMode.NATIVE);
    expect(specContext(new Chart(app, 'other'), { workload: web }, 'rclone').mode).toBe(SidecarMode.NATIVE);
  });

  test('knows whether the workload runs to completion, and its namespace', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'task', image: 'task:1.0.0' }] });
    const elsewhere = new kplus.Deployment(chart, 'other', { metadata: { namespace: 'shop' }, containers: [{ name: 'app', image: 'a:1.0.0' }] });
    expect(specContext(chart, { workload: web }, 'rclone')).toMatchObject({ runsToCompletion: false, namespace: 'production' });
    expect(specContext(chart, { workload: job }, 'rclone')).toMatchObject({ runsToCompletion: true, namespace: 'production' });
    expect(specContext(chart, { workload: elsewhere }, 'rclone').namespace).toBe('shop');
  });

  test('fail and checks raise errors about the workload and the sidecar', () => {
    // GIVEN
    const chart = newChart();
    const context = specContext(chart, { workload: webDeployment(chart), name: 'sync' }, 'rclone');

    // WHEN / THEN
    expect(() => context.fail('IMAGE_NOT_PINNED', 'image \'rclone\' is not pinned', 'pin it')).toThrow(
      "[IMAGE_NOT_PINNED] workload 'test/web', sidecar 'sync': image 'rclone' is not pinned. Fix: pin it.",
    );
    expect(() => context.checks.port('rcPort', 0)).toThrow(/^\[PORT_INVALID\] workload 'test\/web', sidecar 'sync': 'rcPort' 0 /);
  });
});

describe('a spec function is pure', () => {
  test('it can be called without creating any sidecar, and gives the same spec for the same input', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);
    const context = specContext(chart, { workload: web }, 'rclone');

    // WHEN
    const a = rcloneSpec({ workload: web, remote: 's3' }, context);
    const b = rcloneSpec({ workload: web, remote: 's3' }, context);

    // THEN
    expect(a).toEqual(b);
    expect(a.args).toEqual(['rcd', '--rc-addr=:5572', '--remote=s3']);
    expect(web.initContainers).toHaveLength(0);
    expect(chart.node.findAll().filter(Sidecar.isSidecar)).toHaveLength(0);
  });

  test('it sees the workload through the context (no config file on a Job here)', () => {
    const chart = newChart();
    const job = new kplus.Job(chart, 'job', { containers: [{ name: 'task', image: 'task:1.0.0' }] });
    expect(rcloneSpec({ workload: job, remote: 's3' }, specContext(chart, { workload: job }, 'rclone')).configFiles).toBeUndefined();
  });
});

describe('namedSidecarProps', () => {
  test('the spec and the user\'s options make the Sidecar\'s props', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const props = namedSidecarProps(chart, {
      workload: web,
      remote: 's3',
      name: 'sync',
      mode: SidecarMode.LEGACY,
      startRank: 50,
      beforeInitContainers: false,
      appContainers: ['app'],
      user: 1000,
      group: 2000,
      resources: { cpu: { request: kplus.Cpu.millis(10) } },
    }, 'rclone', rcloneSpec);

    // THEN
    expect(props).toMatchObject({
      image: 'rclone/rclone:1.68.2',
      kind: 'rclone',
      workload: web,
      name: 'sync',
      mode: SidecarMode.LEGACY,
      startRank: 50,
      beforeInitContainers: false,
      appContainers: ['app'],
      user: 1000,
      group: 2000,
      resources: { cpu: { request: kplus.Cpu.millis(10) } },
    });
    expect(props).not.toHaveProperty('remote');
  });

  test('a named sidecar built on it renders its spec under its default name', () => {
    // GIVEN
    const chart = newChart();
    const web = webDeployment(chart);

    // WHEN
    const sidecar = new RcloneSidecar(chart, 'sync', { workload: web, remote: 's3', rcPort: 5573 });

    // THEN
    expect(sidecar.name).toBe('rclone');
    expect(sidecar.kind).toBe('rclone');
    const manifests = synth(chart);
    const c = container(podSpec(find(manifests, 'Deployment')), 'rclone');
    expect(c.args).toEqual(['rcd', '--rc-addr=:5573', '--remote=s3']);
    expect(c.ports).toEqual([{ containerPort: 5573, name: 'rc' }]);
    expect(find(manifests, 'ConfigMap').data).toEqual({ 'rclone.conf': '[s3]\n' });
  });

  test('the spec function\'s errors name the sidecar by its container name', () => {
    const chart = newChart();
    const web = webDeployment(chart);
    expect(() => new RcloneSidecar(chart, 'sync', { workload: web, remote: 's3', name: 'backup', rcPort: 70000 })).toThrow(
      "[PORT_INVALID] workload 'test/web', sidecar 'backup': 'rcPort' 70000 is not a valid port number. Fix: pass an integer from 1 to 65535 as 'rcPort'.",
    );
    expect(() => new RcloneSidecar(chart, 'sync', { workload: web, remote: 'S3 bucket' })).toThrow(/^\[NAME_INVALID\] workload 'test\/web', sidecar 'rclone': 'remote' 'S3 bucket' is not a DNS label\. /);
    expect(web.initContainers).toHaveLength(0);
  });
});
