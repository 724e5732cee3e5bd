import { cdk8s, javascript, JsonFile, YamlFile } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-sidecars',
  description: 'Production sidecars (Fluent Bit, Envoy, Vault Agent, config reloader, StatsD exporter, your own) for cdk8s-plus-28 workloads: native or legacy, ordered, hardened, budgeted.',
  author: 'cdk8s-sidecars developers',
  authorAddress: 'dev@cdk8s-sidecars.invalid',
  repositoryUrl: 'https://github.com/cdk8s-sidecars/cdk8s-sidecars.git',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  jsiiVersion: '~5.9.0',
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  // cdk8s-plus-28 < 2.5.1 rejects probes on native sidecars (init containers with restartPolicy Always).
  peerDeps: ['cdk8s-plus-28@^2.5.1'],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    'cdk8s@2.70.0',
    'constructs@10.3.0',
    'cdk8s-plus-28@2.5.6',
    // The second cdk8s-plus line: .ci/plus-line.sh builds and tests cdk8s-sidecars-plus-33.
    'cdk8s-plus-33@2.5.57',
    'cdk8s-cli@2.207.60',
    '@types/node@^20',
    'typescript@~5.9.0',
    // Upstream OpenAPI validators. 4.x: the last CommonJS builds (5.x is ESM-only).
    'kubernetes-models@^4.5.1',
    '@kubernetes-models/prometheus-operator@4.4.4',
    // Real parsers for the generated configs, used by the tests.
    '@cdktf/hcl2json@^0.21.0',
    // HashiCorp's HCL 1 parser (github.com/hashicorp/hcl, compiled to JavaScript with
    // GopherJS): Vault Agent reads its config with HCL 1 (hcl.Parse, then DecodeObject).
    'js-hcl-parser@1.0.1',
    'fast-check@^4.10.2',
    // Envoy's upstream v3 API protos (under deps/) and a loader for them: the bootstrap's oracle.
    '@grpc/grpc-js-xds@1.14.1',
    '@grpc/proto-loader@^0.7.13',
  ],
  // Runtime needs that are not jsii modules travel inside the package.
  // yaml renders the Envoy bootstrap and StatsD mappings; lezer-promql parses every
  // alert expression at synth; re2js checks RE2 patterns; the Grafana SDK builds dashboards.
  bundledDeps: [
    'yaml@^2.9.1',
    // RE2 (the exporters' regular expressions), in pure JavaScript.
    're2js@^2.10.0',
    // Grafana's dashboards-as-code SDK (SidecarDashboards).
    '@grafana/grafana-foundation-sdk@0.0.21',
    '@prometheus-io/lezer-promql@^0.315.0',
    '@lezer/lr@^1.4.12',
    '@lezer/highlight@^1.2.1',
  ],
  keywords: ['cdk8s', 'kubernetes', 'sidecar', 'cdk8s-plus', 'native-sidecar'],
  github: false,
  // Release: `npx projen release` bumps the version from the commits and builds the npm package
  // into dist-package/js/ (publishing it is then one `npm publish`).
  release: true,
  releaseToNpm: true,
  depsUpgrade: false,
  // `dist/` is where `cdk8s synth` writes the example app's manifests.
  artifactsDirectory: 'dist-package',
  jestOptions: {
    // `npm test` never rewrites snapshots; `npx projen test:update` does.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/dist-package/'],
      // The README's error catalogue is checked against every message the tests raise.
      setupFilesAfterEnv: ['<rootDir>/test/catalogue/record.ts'],
      globalSetup: '<rootDir>/test/catalogue/global-setup.ts',
      globalTeardown: '<rootDir>/test/catalogue/global-teardown.ts',
    },
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'projenrc', '.projenrc.ts'],
  },
  gitignore: ['/dist/', '/dist-package/', 'cdk8s.out/', '/bench/.build/', '/build/'],
});

// Tests live under test/ only: src/**/spec.ts are sidecar specs, not tests (projen's
// default testMatch would collect them).
project.package.file.addOverride('jest.testMatch', ['<rootDir>/test/**/*.test.ts']);
// Jest looks under test/ only: snapshots/ holds other cdk8s-plus lines' snapshots, which
// would otherwise count as obsolete (and `-u` would delete them).
project.package.file.addOverride('jest.roots', ['<rootDir>/test']);

// `npm test` compiles first: the package test reads what `npm pack` would ship, so the
// README's second set-up command passes on a fresh clone.
project.testTask.prependSpawn(project.compileTask);

// examples/ and bench/ are type-checked and linted like the tests.
for (const dir of ['examples', 'bench']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['**/*.ts'],
      exclude: ['node_modules'],
    },
    allowComments: true,
  });
}

// The example app: `npx cdk8s synth` writes its manifests to dist/.
new YamlFile(project, 'cdk8s.yaml', {
  obj: {
    language: 'typescript',
    app: 'npx ts-node -P examples/tsconfig.json examples/main.ts',
    output: 'dist',
  },
});
// unrs-resolver (via jest and the eslint import resolver) 1.13.0 lists platform bindings
// that the registry does not carry, so `npm ci` rejects any lock file npm can write for it.
// 1.12.2 has every binding.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// Typed PrometheusRule and PodMonitor (SidecarAlerts), generated offline from the
// upstream CRDs in crds/ into src/imports/ (committed, never edited by hand).
// `cdk8s import` writes one file per API group, so both CRDs go in as one stream.
project.addTask('import', {
  description: 'Regenerate src/imports/ from the prometheus-operator CRDs (cdk8s import)',
  // Offline: the CRDs are local files; skip cdk8s-cli's version check, which needs the network.
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  // Runs in a scratch directory: cdk8s import records every import in the cdk8s.yaml of
  // its working directory, and this project's cdk8s.yaml belongs to projen.
  exec: [
    'tmp=$(mktemp -d)',
    'out="$PWD/src/imports"',
    'cat crds/monitoring.coreos.com_prometheusrules.yaml crds/monitoring.coreos.com_podmonitors.yaml > "$tmp/crds.yaml"',
    '(cd "$tmp" && cdk8s import crds.yaml --language typescript --output "$out")',
    'rm -rf "$tmp"',
  ].join(' && '),
});
project.eslint?.addIgnorePattern('src/imports/');
// The package holds what a consumer needs: lib/ with its .d.ts, .jsii, src/ (the source
// maps' sources), README, LICENSE, API.md, and the bundled dependencies; nothing of the
// repository's own tooling (test/package.test.ts reads `npm pack --dry-run`).
project.npmignore?.exclude('/crds/', '/.ci/', '/cdk8s.yaml', '/examples/', '/docs/', '/rosetta/', '/snapshots/', '/build/', '/dist-package/', '/test-reports/');
project.npmignore?.removePatterns('/src/');

// The benchmarks (bench/): first the lifecycle benchmark (what the sidecars add to a pod's
// start, deletion and Job completion, on a model of the kubelet, next to Istio's and
// vault-k8s's injected pods), then the synth benchmark (the library against the same pods
// written by hand). Not part of the package, nor of `npm test` (test/bench-equivalence.test.ts
// only checks that both sides synthesize the same manifests, test/bench/ the model's
// mechanics). It compiles bench/ and src/ to bench/.build/ first, so that no measurement
// carries a TypeScript compiler.
project.npmignore?.exclude('/bench/');
project.addTask('bench', {
  description: 'Lifecycle benchmark (pod start, deletion, Job completion vs Istio and vault-k8s), then synth benchmark: library vs hand-written cdk8s-plus-28 (BENCH_SIZES=100,1000,5000 BENCH_ROUNDS=5)',
  exec: 'tsc -p bench/tsconfig.json --noEmit false --outDir bench/.build --declaration false --inlineSourceMap false --inlineSources false && node bench/.build/bench/run.js',
});

project.addTask('synth', {
  description: 'Synthesize the example app into dist/ (cdk8s synth)',
  exec: 'cdk8s synth',
});

project.synth();
