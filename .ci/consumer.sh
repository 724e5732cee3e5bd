#!/usr/bin/env bash
# The consumer test: the library as a new user gets it. Packs the compiled library,
# installs the tarball into a fresh cdk8s app outside the repository (cdk8s, constructs,
# cdk8s-plus-28 and the test tools from the npm registry, at the versions this repository
# locks), type-checks and synthesizes the README's quick start, and runs a jest snapshot
# test there, the way the cdk8s docs recommend (Testing.synth + toMatchSnapshot).
# Needs `npx projen compile` first; for another cdk8s-plus line, `.ci/plus-line.sh <major>`.
#
#   bash .ci/consumer.sh       # cdk8s-sidecars on cdk8s-plus-28
#   bash .ci/consumer.sh 33    # cdk8s-sidecars-plus-33 on cdk8s-plus-33 (what `cdk8s init` gives)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
major="${1:-28}"
plus="cdk8s-plus-$major"
if [ "$major" = 28 ]; then package=cdk8s-sidecars; dir="$root"; else package="cdk8s-sidecars-plus-$major"; dir="$root/build/$plus"; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

version() { node -p "require('$root/node_modules/$1/package.json').version"; }

npm pack --ignore-scripts --pack-destination "$work" --silent "$dir" >/dev/null
tarball="$(ls "$work"/*.tgz)"

app="$work/app"
mkdir -p "$app/src"
cat > "$app/package.json" <<EOF
{
  "name": "consumer-app",
  "private": true,
  "dependencies": {
    "cdk8s": "$(version cdk8s)",
    "$plus": "$(version $plus)",
    "constructs": "$(version constructs)",
    "$package": "file:$tarball"
  },
  "devDependencies": {
    "@types/jest": "$(version @types/jest)",
    "@types/node": "$(version @types/node)",
    "jest": "$(version jest)",
    "ts-jest": "$(version ts-jest)",
    "typescript": "$(version typescript)"
  },
  "jest": { "preset": "ts-jest", "testEnvironment": "node", "testMatch": ["**/*.test.ts"] }
}
EOF
cat > "$app/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "strict": true, "esModuleInterop": true,
    "outDir": "build", "rootDir": "src", "types": ["node", "jest"], "skipLibCheck": false
  },
  "include": ["src/**/*.ts"]
}
EOF

# The quick start, exactly as the README shows it (the first ts block under "## Quick start"),
# with its app.synth() writing to dist/.
awk '/^## Quick start/{q=1} q&&/^```ts$/{on=1; next} on&&/^```$/{exit} on{print}' "$root/README.md" \
  | sed -e "s/'cdk8s-plus-28'/'$plus'/" -e "s/'cdk8s-sidecars'/'$package'/" > "$app/src/main.ts"
[ -s "$app/src/main.ts" ] || { echo "consumer: no ts block under '## Quick start' in README.md"; exit 1; }

# The same app as a function, for the snapshot test.
sed -e 's/^const app = new App();$/export function build(app: App): Chart {/' \
    -e 's/^app.synth();$/  return chart;\n}/' "$app/src/main.ts" > "$app/src/chart.ts"
cat > "$app/src/chart.test.ts" <<'EOF'
import { Testing } from 'cdk8s';
import { build } from './chart';

test('the quick start synthesizes to the manifests a user reviews', () => {
  const manifests = Testing.synth(build(Testing.app()));
  expect(manifests.map(m => m.kind)).toEqual(expect.arrayContaining(['Deployment', 'ConfigMap', 'PrometheusRule', 'PodMonitor']));
  expect(manifests).toMatchSnapshot();
});
EOF

cd "$app"
npm install --no-audit --no-fund --silent
npx tsc -p tsconfig.json
node build/main.js
ls dist/*.k8s.yaml
grep -q 'restartPolicy: Always' dist/*.k8s.yaml
# The first run writes the app's snapshot (CI=true alone would refuse to write it); the
# second, as CI, must match it: synthesis is deterministic.
npx jest --ci=false --silent 2>&1 | tail -n 5
npx jest --ci --silent 2>&1 | tail -n 5
echo "consumer: $package (packed) type-checks, synthesizes and snapshot-tests in a fresh cdk8s app on $plus"
