import { Construct } from 'constructs';
import { TextCache } from './_memo';

/**
 * Internal: reuse of a named sidecar's spec between pods. Nothing here is exported from
 * the package.
 *
 * A spec function is pure: the same props in the same context give the same spec.
 * An app with thousands of pods passes the same props again and again (the same
 * outputs, secrets, upstreams), so each distinct input is turned into a spec once and
 * the spec, which nothing changes afterwards, is shared. Besides the work, this spares
 * the JavaScript engine from compiling the spec functions' many paths for every app.
 *
 * The key is the input written out: primitives by value; arrays and plain objects by
 * their items and own keys, in order; instances of classes by their prototype and own
 * keys (what a spec function can read of a value object: `Duration`, `EnvValue`, an
 * output); constructs and functions by identity (a construct's state can change after
 * it is passed, and a function's behaviour is not in its fields). An input the key
 * cannot write out exactly (a symbol, a cycle, a very deep or very large value) is not
 * cached: its spec is computed every time, as before.
 */

const MAX_DEPTH = 16;
const MAX_PARTS = 20000;

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

function identity(value: object): number {
  let id = identities.get(value);
  if (id === undefined) {
    id = ++nextIdentity;
    identities.set(value, id);
  }
  return id;
}

/** Writes `value` into `out`; false when it cannot be written exactly. */
function write(value: unknown, depth: number, out: string[]): boolean {
  if (out.length > MAX_PARTS || depth > MAX_DEPTH) return false;
  switch (typeof value) {
    case 'undefined':
      out.push('u');
      return true;
    case 'boolean':
      out.push(value ? 't' : 'f');
      return true;
    case 'number':
      out.push(Object.is(value, -0) ? 'n-0' : `n${value}`);
      return true;
    case 'string':
      out.push(JSON.stringify(value));
      return true;
    case 'function':
      out.push(`F${identity(value)}`);
      return true;
    case 'object':
      break;
    default:
      return false; // symbol, bigint
  }
  if (value === null) {
    out.push('N');
    return true;
  }
  const object = value as object;
  if (Array.isArray(object)) {
    out.push('[');
    for (const item of object) {
      if (!write(item, depth + 1, out)) return false;
    }
    out.push(']');
    return true;
  }
  if (Construct.isConstruct(object)) {
    out.push(`C${identity(object)}`);
    return true;
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return false;
  const proto = Object.getPrototypeOf(object);
  out.push(proto === Object.prototype || proto === null ? '{' : `I${identity(proto)}{`);
  for (const key of Object.keys(object)) {
    out.push(JSON.stringify(key));
    if (!write((object as any)[key], depth + 1, out)) return false;
  }
  out.push('}');
  return true;
}

/** The key of `parts`, or undefined when one of them cannot be written exactly. */
export function specKey(parts: unknown[]): string | undefined {
  const out: string[] = [];
  return write(parts, 0, out) ? out.join(',') : undefined;
}

/** Specs by spec function, then by key (a `TextCache` per function). */
export class SpecCache<T> {
  private readonly byFunction = new Map<Function, TextCache<T>>();
  private enabled = true;

  public constructor(private readonly limit = 1024) {}

  /** The spec for `key` made by `fn`, computed by `produce` the first time (every time for no key). */
  public get(fn: Function, key: string | undefined, produce: () => T): T {
    if (key === undefined || !this.enabled) return produce();
    let entries = this.byFunction.get(fn);
    if (entries === undefined) {
      entries = new TextCache<T>(this.limit);
      this.byFunction.set(fn, entries);
    }
    return entries.get(key, produce);
  }

  /** Turns reuse off (or back on) and forgets every entry: for tests that compare both. */
  public setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.byFunction.clear();
  }
}

/** The shared spec each named sidecar's props were made from (set by `namedSidecarProps`). */
const specOfProps = new WeakMap<object, object>();
/** What the core made of each shared spec (see `sharedPlan`). */
const plans = new WeakMap<object, unknown>();

/** Records that `props` were made from the shared `spec`. */
export function recordSpec(props: object, spec: object): void {
  specOfProps.set(props, spec);
}

/**
 * What the core makes of `props` apart from the workload (their checks included): made by
 * `produce` once per shared spec, since props made from one spec are equal but for the
 * workload; made every time for props that were not (a `Sidecar` of the user's own). An
 * error is not remembered.
 */
export function sharedPlan<T>(props: object, produce: () => T): T {
  const spec = specOfProps.get(props);
  if (spec === undefined) return produce();
  let plan = plans.get(spec) as T | undefined;
  if (plan === undefined) {
    plan = produce();
    plans.set(spec, plan);
  }
  return plan;
}
