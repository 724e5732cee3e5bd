import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { validateObject } from './util';
import { buildExampleApp } from '../examples/main';

describe('the example app (cdk8s synth)', () => {
  // GIVEN the app `cdk8s synth` runs
  const app = buildExampleApp(Testing.app());

  test.each(app.charts.map(c => [c.node.id, c]))('%s synthesizes to valid manifests', (_id, chart) => {
    // WHEN
    const manifests = Testing.synth(chart);
    // THEN every object is valid against the upstream schemas, and the YAML is stable
    manifests.forEach(validateObject);
    expect(YAML.stringify(manifests)).not.toContain('undefined');
    expect(manifests).toMatchSnapshot();
  });
});
