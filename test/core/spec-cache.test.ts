import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { buildExampleApp } from '../../examples/main';
import { EnvoySidecar, FluentBitOutput, FluentBitSidecar, VaultAgentSidecar } from '../../src';
import { SpecCache, specKey } from '../../src/core/_spec-cache';
import { SPECS } from '../../src/core/spec';
import { newChart, webDeployment } from '../util';

describe('specKey', () => {
  test('equal inputs have equal keys; any difference gives another key', () => {
    const input = () => ['logs', 'NATIVE', false, 'shop', 'outputs', [{ host: 'agg', port: 24224 }], 'drainTime', Duration.seconds(5)];
    expect(specKey(input())).toBeDefined();
    expect(specKey(input())).toBe(specKey(input()));
    const variants: unknown[][] = [
      ['logs', 'NATIVE', false, 'shop', 'outputs', [{ host: 'agg', port: 24225 }], 'drainTime', Duration.seconds(5)],
      ['logs', 'NATIVE', false, 'shop', 'outputs', [{ port: 24224, host: 'agg' }], 'drainTime', Duration.seconds(5)],
      ['logs', 'NATIVE', true, 'shop', 'outputs', [{ host: 'agg', port: 24224 }], 'drainTime', Duration.seconds(5)],
      ['logs', 'NATIVE', false, undefined, 'outputs', [{ host: 'agg', port: 24224 }], 'drainTime', Duration.seconds(5)],
      ['logs', 'NATIVE', false, 'shop', 'outputs', [{ host: 'agg', port: 24224 }], 'drainTime', Duration.millis(5000)],
      ['logs', 'NATIVE', false, 'shop', 'outputs', [{ host: 'agg', port: '24224' }], 'drainTime', Duration.seconds(5)],
    ];
    const keys = new Set([specKey(input()), ...variants.map(specKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  test('values of different classes with the same fields differ', () => {
    class A { constructor(readonly x: number) {} }
    class B { constructor(readonly x: number) {} }
    expect(specKey([new A(1)])).toBe(specKey([new A(1)]));
    expect(specKey([new A(1)])).not.toBe(specKey([new B(1)]));
    expect(specKey([new A(1)])).not.toBe(specKey([{ x: 1 }]));
  });

  test('constructs and functions count by identity, not by content', () => {
    const chart = newChart();
    const a = new kplus.ConfigMap(chart, 'a', { data: { k: 'v' } });
    const b = new kplus.ConfigMap(chart, 'b', { data: { k: 'v' } });
    expect(specKey([a])).toBe(specKey([a]));
    expect(specKey([a])).not.toBe(specKey([b]));
    const f = () => 1;
    const g = () => 1;
    expect(specKey([f])).toBe(specKey([f]));
    expect(specKey([f])).not.toBe(specKey([g]));
  });

  test('an input it cannot write out exactly has no key', () => {
    const cycle: any = { a: 1 };
    cycle.self = cycle;
    expect(specKey([cycle])).toBeUndefined();
    expect(specKey([Symbol('s')])).toBeUndefined();
    expect(specKey([{ [Symbol('s')]: 1 }])).toBeUndefined();
    expect(specKey([BigInt(1)])).toBeUndefined();
    expect(specKey([-0])).not.toBe(specKey([0]));
  });
});

describe('SpecCache', () => {
  test('produces once per key and function, every time without a key', () => {
    const cache = new SpecCache<object>();
    const f = () => undefined;
    let made = 0;
    const produce = () => ({ n: ++made });
    const first = cache.get(f, 'k', produce);
    expect(cache.get(f, 'k', produce)).toBe(first);
    expect(cache.get(() => undefined, 'k', produce)).not.toBe(first);
    expect(cache.get(f, undefined, produce)).not.toBe(cache.get(f, undefined, produce));
    expect(made).toBe(4);
  });

  test('an error is not remembered', () => {
    const cache = new SpecCache<object>();
    const f = () => undefined;
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('bad');
    };
    expect(() => cache.get(f, 'k', failing)).toThrow('bad');
    expect(() => cache.get(f, 'k', failing)).toThrow('bad');
    expect(calls).toBe(2);
  });
});

describe('shared specs', () => {
  afterEach(() => SPECS.setEnabled(true));

  test('pods with the same props share one spec, and synthesize as without sharing', () => {
    const build = () => {
      const chart = newChart();
      for (let i = 0; i < 3; i++) {
        const web = webDeployment(chart, `web-${i}`);
        new FluentBitSidecar(chart, `logs-${i}`, { workload: web, outputs: [FluentBitOutput.forward({ host: 'agg.logging' })] });
        new VaultAgentSidecar(chart, `secrets-${i}`, { workload: web, role: 'web', secrets: [{ name: 'db', path: 'database/creds/web' }] });
        new EnvoySidecar(chart, `proxy-${i}`, { workload: web, appPort: 8080, name: i === 2 ? 'edge' : undefined });
      }
      return Testing.synth(chart);
    };
    SPECS.setEnabled(true);
    const shared = build();
    SPECS.setEnabled(false);
    expect(build()).toEqual(shared);
  });

  test('the example app synthesizes the same with and without sharing', () => {
    SPECS.setEnabled(true);
    const shared = buildExampleApp(Testing.app()).charts.map(c => Testing.synth(c));
    SPECS.setEnabled(false);
    expect(buildExampleApp(Testing.app()).charts.map(c => Testing.synth(c))).toEqual(shared);
  });

  test('a variable added to one pod\'s sidecar stays in that pod', () => {
    const chart = newChart();
    const logs = [0, 1].map(i => new FluentBitSidecar(chart, `logs-${i}`, {
      workload: webDeployment(chart, `web-${i}`),
      outputs: [FluentBitOutput.forward({ host: 'agg.logging' })],
    }));
    logs[0].container.env.addVariable('ONLY_HERE', kplus.EnvValue.fromValue('x'));
    expect(Object.keys(logs[0].container.env.variables)).toContain('ONLY_HERE');
    expect(Object.keys(logs[1].container.env.variables)).not.toContain('ONLY_HERE');
    const envOf = (name: string) => Testing.synth(chart).find(o => o.metadata.name.startsWith(name))
      .spec.template.spec.initContainers.find((c: any) => c.name === 'fluent-bit').env.map((e: any) => e.name);
    expect(envOf('test-web-0')).toContain('ONLY_HERE');
    expect(envOf('test-web-1')).not.toContain('ONLY_HERE');
  });

  test('an error about a shared spec still names its own workload', () => {
    const chart = newChart();
    const a = webDeployment(chart, 'a');
    const b = webDeployment(chart, 'b');
    b.addContainer({ name: 'envoy', image: 'envoyproxy/envoy:v1.39.6' });
    new EnvoySidecar(chart, 'proxy-a', { workload: a, appPort: 8080 });
    // The same props: the spec made for 'a' is shared, the pod's own checks still run.
    const again = () => new EnvoySidecar(chart, 'proxy-b', { workload: b, appPort: 8080 });
    expect(again).toThrow(/^\[CONTAINER_NAME_TAKEN\] workload 'test\/b', sidecar 'envoy'/);
  });
});
