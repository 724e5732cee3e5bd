import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { Sidecar, SidecarAlerts } from '../../src';
import { sidecarsIn } from '../../src/alerts/_targets';
import { synth } from '../util';

/**
 * SidecarAlerts and SidecarDashboards collect the sidecars of a scope by walking only the
 * branches that hold one. The oracle is constructs' own `findAll()`: the same sidecars, in
 * the same order, for every scope of any tree.
 */

type Op =
  | { readonly kind: 'construct' | 'sidecar'; readonly parent: number; readonly id: string }
  | { readonly kind: 'remove'; readonly node: number };

// Numeric ids come first in `node.children` whatever the order they were added in.
const id = fc.oneof(fc.stringMatching(/^[a-z]{1,3}$/), fc.integer({ min: 0, max: 30 }).map(String));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('construct' as const, 'sidecar' as const), parent: fc.nat(), id }),
  fc.record({ kind: fc.constant('remove' as const), node: fc.nat() }),
);

function build(ops: Op[]): IConstruct[] {
  const app = new App();
  const chart = new Chart(app, 'chart');
  const workload = new kplus.Deployment(chart, 'web', { containers: [{ name: 'app', image: 'myapp:v1.0.0' }] });
  const nodes: IConstruct[] = [app, chart];
  let sidecars = 0;
  for (const o of ops) {
    if (o.kind === 'remove') {
      const node = nodes[o.node % nodes.length];
      node.node.scope?.node.tryRemoveChild(node.node.id);
      continue;
    }
    const parent = nodes[o.parent % nodes.length];
    if (parent.node.tryFindChild(o.id) !== undefined) continue;
    nodes.push(o.kind === 'construct'
      ? new Construct(parent, o.id)
      : new Sidecar(parent, o.id, { workload, name: `s${sidecars++}`, image: 'busybox:1.36' }));
  }
  return nodes;
}

describe('sidecarsIn', () => {
  test('finds what findAll finds, in the same order, in every scope of any tree', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), ops => {
      for (const scope of build(ops)) {
        const expected = scope.node.findAll().filter(Sidecar.isSidecar);
        expect(sidecarsIn(scope)).toEqual(expected);
      }
    }), { numRuns: 300 });
  });

  test('sees only its own app, and a sidecar nested in a sidecar', () => {
    // GIVEN two apps, and a sidecar below another
    const [first, second] = [build([]), build([])];
    const web = first[1].node.findChild('web') as kplus.Deployment;
    const outer = new Sidecar(first[1], 'outer', { workload: web, name: 'outer', image: 'busybox:1.36' });
    const inner = new Sidecar(outer, 'inner', { workload: web, name: 'inner', image: 'busybox:1.36' });
    new Sidecar(second[1], 'other', { workload: second[1].node.findChild('web') as kplus.Deployment, name: 'other', image: 'busybox:1.36' });
    // THEN
    expect(sidecarsIn(first[0])).toEqual([outer, inner]);
    expect(sidecarsIn(outer)).toEqual([outer, inner]);
    expect(sidecarsIn(inner)).toEqual([inner]);
    expect(sidecarsIn(second[0]).map(s => s.name)).toEqual(['other']);
  });

  test('SidecarAlerts still collects the sidecars created after it', () => {
    const [, chart] = build([]);
    new SidecarAlerts(chart, 'alerts');
    const web = chart.node.findChild('web') as kplus.Deployment;
    new Sidecar(chart, 'late', { workload: web, name: 'late', image: 'busybox:1.36' });
    const rule = synth(chart as Chart).find((m: any) => m.kind === 'PrometheusRule');
    expect(rule.spec.groups[0].rules[0].expr).toContain('container="late"');
  });
});
