#!/usr/bin/env bash
# One source, one package per cdk8s-plus major (the way cdk8s-plus itself ships one
# package per Kubernetes version). The source is written against cdk8s-plus-28; this
# builds the same source against another cdk8s-plus line into build/cdk8s-plus-<major>/:
# the package `cdk8s-sidecars-plus-<major>`, compiled by jsii, with the whole test suite
# run against it (same tests, same snapshots, same docs checks).
#
# The line's own snapshots (cdk8s-plus-33 renders a few more defaults, such as
# shareProcessNamespace: false) live in snapshots/cdk8s-plus-<major>/, mirroring test/.
#
#   bash .ci/plus-line.sh 33            # build and test the cdk8s-plus-33 package
#   bash .ci/plus-line.sh 33 --no-test  # build only
#   bash .ci/plus-line.sh 33 --update   # rewrite its snapshots (review the diff!)
set -euo pipefail
major="${1:?usage: plus-line.sh <cdk8s-plus major> [--no-test|--update]}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/cdk8s-plus-$major"
plus="cdk8s-plus-$major"

[ -d "$root/node_modules/$plus" ] || { echo "plus-line: $plus is not installed (a devDependency in .projenrc.ts)"; exit 1; }

rm -rf "$out"
mkdir -p "$out"
cd "$root"
cp -r src test docs rosetta examples bench README.md LICENSE API.md tsconfig.json .npmignore "$out/"
rm -rf "$out/bench/.build"
# node_modules: the repository's packages, linked; the bundled dependencies and what they
# need copied, so that npm packs this package the way it packs the main one.
node - "$root" "$out" <<'EOF'
const [root, out] = process.argv.slice(2);
const fs = require('fs');
const path = require('path');
const src = path.join(root, 'node_modules');
const dst = path.join(out, 'node_modules');
const closure = new Set();
const visit = (name) => {
  if (closure.has(name)) return;
  closure.add(name);
  const deps = JSON.parse(fs.readFileSync(path.join(src, name, 'package.json'), 'utf8')).dependencies ?? {};
  Object.keys(deps).forEach(visit);
};
JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bundledDependencies.forEach(visit);
const place = (name) => {
  const from = path.join(src, name);
  const to = path.join(dst, name);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  if (closure.has(name)) fs.cpSync(from, to, { recursive: true, dereference: true });
  else fs.symlinkSync(from, to);
};
for (const entry of fs.readdirSync(src)) {
  if (entry.startsWith('@')) fs.readdirSync(path.join(src, entry)).forEach(n => place(`${entry}/${n}`));
  else place(entry);
}
EOF

# The cdk8s-plus line: every import, doc and message of the copy names the other package.
grep -rl --exclude-dir=node_modules 'cdk8s-plus-28' "$out" --include='*.ts' --include='*.md' --include='*.snap' --include='*.ts-fixture' \
  | xargs sed -i "s/cdk8s-plus-28/$plus/g"

# The line's own snapshots replace the copied ones.
if [ -d "$root/snapshots/$plus" ]; then
  cp -r "$root/snapshots/$plus/." "$out/"
fi

# Its package.json: the same project, named for the line, depending on that line.
node - "$root/package.json" "$out/package.json" "$major" <<'EOF'
const [src, dst, major] = process.argv.slice(2);
const fs = require('fs');
const pkg = JSON.parse(fs.readFileSync(src, 'utf8'));
const plus = `cdk8s-plus-${major}`;
const version = require(`${process.cwd()}/node_modules/${plus}/package.json`).version;
pkg.name = `cdk8s-sidecars-plus-${major}`;
pkg.description = pkg.description.replace(/cdk8s-plus-28/g, plus);
const swap = (deps, range) => {
  if (!deps || !('cdk8s-plus-28' in deps)) return;
  delete deps['cdk8s-plus-28'];
  deps[plus] = range;
};
swap(pkg.peerDependencies, `^${version}`);
swap(pkg.devDependencies, version);
fs.writeFileSync(dst, `${JSON.stringify(pkg, null, 2)}\n`);
EOF

cd "$out"
npx jsii --silence-warnings=reserved-word
case "${2:-}" in
  --no-test) ;;
  --update)
    npx jest --ci=false -u
    rm -rf "$root/snapshots/$plus"
    find test -path '*/__snapshots__/*.snap' -print0 | while IFS= read -r -d '' f; do
      mkdir -p "$root/snapshots/$plus/$(dirname "$f")"
      cp "$f" "$root/snapshots/$plus/$f"
    done
    ;;
  *) npx jest --ci ;;
esac
echo "plus-line: cdk8s-sidecars-plus-$major built in ${out#$root/}"
