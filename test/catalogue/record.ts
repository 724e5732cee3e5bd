/**
 * Records every error message the library raises while a test file runs, for the
 * error catalogue check (global-teardown.ts). Installed with setupFilesAfterEnv.
 *
 * Every library error has one format (src/core/errors.ts):
 * `[CODE] <workload|scope|alerts> '<path>'[, <sidecar|alert> '<name>']: <problem>. Fix: <fix>.`
 * Whole-pod errors reach the user inside cdk8s's "Validation failed" error, one per line.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';

const DIR = join(__dirname, '..', '..', 'test-reports', 'error-messages');
const seen = new Set<string>();

const OriginalError = global.Error;
const Recording = new Proxy(OriginalError, {
  construct(target, args, newTarget) {
    if (typeof args[0] === 'string') seen.add(args[0]);
    return Reflect.construct(target, args, newTarget);
  },
  apply(target, thisArg, args) {
    if (typeof args[0] === 'string') seen.add(args[0]);
    return Reflect.apply(target, thisArg, args);
  },
});
global.Error = Recording;

afterAll(() => {
  global.Error = OriginalError;
  const testPath = expect.getState().testPath ?? 'unknown';
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${process.pid}-${Buffer.from(testPath).toString('hex').slice(-40)}.json`);
  writeFileSync(file, JSON.stringify({ testPath, messages: [...seen] }));
});
