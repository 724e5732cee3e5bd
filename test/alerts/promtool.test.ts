import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { alertsFixture } from './fixture';
import { find, synth } from '../util';

/**
 * `promtool test rules` on the rendered spec of a synthesized chart: for every
 * alert, series shaped like real kube-state-metrics, Envoy, Fluent Bit, Vault
 * Agent, configmap-reload and statsd_exporter output, where it must fire and where
 * it must stay quiet. The scenarios are the `*.promtool.yaml` files next to each pack's
 * tests; they read the rules from `sidecar-rules.yaml`, written here from the PrometheusRule.
 */

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const available = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' }).status === 0;
// Each pack's scenarios live next to its tests: test/alerts/ (the generic pack) and
// test/sidecars/<tool>/alerts.promtool.yaml.
const TEST_ROOT = path.join(__dirname, '..');
const scenarioFiles = findScenarios(TEST_ROOT);
const scenarios = scenarioFiles.map(f => path.relative(TEST_ROOT, f).split(path.sep).join('-'));

function findScenarios(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== '__snapshots__') out.push(...findScenarios(p));
    else if (entry.name.endsWith('.promtool.yaml')) out.push(p);
  }
  return out.sort();
}

if (!available) {
  const message = `promtool not found ('${PROMTOOL}'): the alert rules are NOT tested against Prometheus. `
    + 'Install it (Debian/Ubuntu: apt-get install prometheus) or point PROMTOOL at it.';
  if (process.env.CI === 'true') {
    test('promtool is installed (required under CI)', () => {
      throw new Error(message);
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
    test.skip('promtool test rules (promtool missing)', () => {});
  }
} else {
  describe('promtool test rules', () => {
    // GIVEN the rendered PrometheusRule of a chart with every kind of sidecar
    const rule = find(synth(alertsFixture()), 'PrometheusRule');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-rules-'));
    fs.writeFileSync(path.join(dir, 'sidecar-rules.yaml'), YAML.stringify(rule.spec));
    scenarioFiles.forEach((file, i) => fs.copyFileSync(file, path.join(dir, scenarios[i])));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('promtool accepts the rules, templates included', () => {
      // WHEN
      const run = spawnSync(PROMTOOL, ['check', 'rules', 'sidecar-rules.yaml'], { cwd: dir, encoding: 'utf8' });
      // THEN
      expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
      expect(run.status).toBe(0);
    });

    test('every generated alert has a scenario', () => {
      const alerts: string[] = rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
      const tested = scenarioFiles.map(f => fs.readFileSync(f, 'utf8')).join('\n');
      const untested = alerts.filter(alert => !tested.includes(`alertname: ${alert}\n`));
      expect(untested).toEqual([]);
    });

    test.each(scenarios)('%s', (file) => {
      // WHEN
      const run = spawnSync(PROMTOOL, ['test', 'rules', file], { cwd: dir, encoding: 'utf8' });
      // THEN
      if (run.status !== 0) {
        throw new Error(`promtool test rules ${file} failed:\n${run.stdout}${run.stderr}`);
      }
      expect(run.stdout).toContain('SUCCESS');
    });
  });
}
