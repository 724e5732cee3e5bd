import { App, Chart } from 'cdk8s';
import { validateObject } from './util';
import { SIDES } from '../bench/scenario';

/**
 * The synth benchmark (bench/, `npm run bench`) compares the library with the same
 * pods written by hand. It is honest only if both sides produce the same
 * manifests: this test synthesizes both and compares them as they are, with no
 * normalization (same objects, same order, same fields, same values).
 */

function manifests(side: string, n: number): any[] {
  const chart = new Chart(new App(), 'bench', { namespace: 'production' });
  SIDES[side]()(chart, n);
  return chart.toJson();
}

describe('benchmark sides', () => {
  test('the library and the hand-written side synthesize the same manifests', () => {
    // GIVEN the benchmark scenario with 3 pods
    // WHEN both sides synthesize it
    const library = manifests('library', 3);
    const hand = manifests('hand', 3);

    // THEN every object is valid and the two sides are identical
    for (const obj of library) validateObject(obj);
    expect(library.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(hand.map(o => `${o.kind}/${o.metadata.name}`));
    expect(hand).toEqual(library);
    expect(JSON.stringify(hand)).toEqual(JSON.stringify(library));
  });

  test('the scenario has what the benchmark claims', () => {
    // GIVEN the library side with 2 pods
    const library = manifests('library', 2);

    // THEN each pod has 3 native sidecars and 3 ConfigMaps, and the chart one rule and one monitor
    const kinds = library.map(o => o.kind);
    expect(kinds.filter(k => k === 'Deployment')).toHaveLength(2);
    expect(kinds.filter(k => k === 'ConfigMap')).toHaveLength(6);
    expect(kinds.filter(k => k === 'PrometheusRule')).toHaveLength(1);
    expect(kinds.filter(k => k === 'PodMonitor')).toHaveLength(1);
    const spec = library.find(o => o.kind === 'Deployment').spec.template.spec;
    expect(spec.initContainers.map((c: any) => [c.name, c.restartPolicy])).toEqual([
      ['fluent-bit', 'Always'], ['vault-agent', 'Always'], ['envoy', 'Always'],
    ]);
    const monitor = library.find(o => o.kind === 'PodMonitor');
    expect(monitor.spec.selector.matchExpressions[0].values).toHaveLength(2);
  });
});
