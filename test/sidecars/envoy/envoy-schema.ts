import * as fs from 'fs';
import * as path from 'path';
// protobufjs is the parser under @grpc/proto-loader (a devDependency).
// eslint-disable-next-line import/no-extraneous-dependencies
import * as protobuf from 'protobufjs';
import { parseDocument } from 'yaml';

/**
 * A strict, independent oracle for Envoy bootstraps: the text is read with YAML 1.1
 * semantics (as Envoy's yaml-cpp loader reads `envoy.yaml`: unquoted `on`, `yes`, `N`
 * are booleans, `5` is a number) and checked against Envoy's upstream v3 API protos,
 * shipped by `@grpc/grpc-js-xds` under `deps/` (envoy-api, xds/udpa, protoc-gen-validate,
 * googleapis), the way Envoy's `MessageUtil::loadFromYaml` + `validate()` do:
 *
 * - the proto3 JSON mapping: no unknown fields, scalar types, enum names, at most one
 *   member of a oneof, `Any` with a resolvable `@type` (the rest checked against that
 *   type), Duration strings (`"5s"`, `"0.25s"`, within +-315,576,000,000 s), wrappers;
 * - fields marked deprecated are refused (Envoy warns, or fails with fail-on-deprecated);
 * - the protoc-gen-validate rules of every field present (and of absent scalars, as
 *   PGV checks their default values): numbers, strings, enums, repeated, maps,
 *   durations, required messages and oneofs;
 * - what Envoy checks when it loads: unique listener and cluster names, no two
 *   listeners (or the admin) on one address, clusters named by routes exist, unique
 *   virtual host names and domains per route table, the router last in every filter
 *   chain, STATIC clusters on IP addresses, LOGICAL_DNS clusters with one endpoint, a
 *   dynamic forward proxy cluster and filter that share one DNS cache config.
 *
 * Nothing here uses the library's code.
 */

const DEPS = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')) + '/deps';
const INCLUDE = [
  path.join(DEPS, 'envoy-api'),
  path.join(DEPS, 'xds'),
  path.join(DEPS, 'protoc-gen-validate'),
  path.join(DEPS, 'googleapis'),
  path.dirname(require.resolve('protobufjs/package.json')),
];

const root = new protobuf.Root();
root.resolvePath = (_origin: string, target: string) => {
  for (const dir of INCLUDE) {
    const p = path.join(dir, target);
    if (fs.existsSync(p)) return p;
  }
  return target;
};

let typeIndex: Map<string, string> | undefined;
const loaded = new Set<string>();

/** Full message name -> the .proto file that declares it (top-level and nested messages). */
function index(): Map<string, string> {
  if (typeIndex) return typeIndex;
  typeIndex = new Map();
  const walk = (base: string, dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {walk(base, p);} else if (entry.name.endsWith('.proto')) {
        const text = fs.readFileSync(p, 'utf8');
        const pkg = /^package\s+([\w.]+)\s*;/m.exec(text)?.[1];
        if (!pkg) continue;
        // Message names with their nesting, from the braces.
        const stack: string[] = [];
        const re = /\b(message|enum|oneof|service)\s+(\w+)\s*\{|[{}]/g;
        const kinds: string[] = [];
        const code = text.replace(/\/\/.*$/gm, '');
        let m: RegExpExecArray | null;
        while ((m = re.exec(code))) {
          if (m[1]) {
            stack.push(m[2]);
            kinds.push(m[1]);
            if (m[1] === 'message') typeIndex!.set([pkg, ...stack].join('.'), path.relative(base, p));
          } else if (m[0] === '{') {
            stack.push('');
            kinds.push('');
          } else {
            stack.pop();
            kinds.pop();
          }
        }
      }
    }
  };
  for (const dir of INCLUDE.slice(0, 4)) walk(dir, dir);
  return typeIndex;
}

/** The message type of a full name, loading its file on first use; undefined when no proto declares it. */
function messageType(fullName: string): protobuf.Type | undefined {
  const file = index().get(fullName);
  if (file === undefined) {
    const wkt = root.lookup(fullName);
    return wkt instanceof protobuf.Type ? wkt : undefined;
  }
  if (!loaded.has(file)) {
    root.loadSync(file, { keepCase: true });
    root.resolveAll();
    loaded.add(file);
  }
  return root.lookupType(fullName);
}

// The well-known types are bundled with protobufjs.
root.loadSync(['google/protobuf/duration.proto', 'google/protobuf/any.proto', 'google/protobuf/struct.proto', 'google/protobuf/wrappers.proto', 'google/protobuf/empty.proto', 'google/protobuf/timestamp.proto'], { keepCase: true });

const MAX_DURATION_SECONDS = 315_576_000_000;
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Duration string -> seconds (a number; precise enough for the range checks). */
function durationSeconds(value: unknown, at: string, errors: string[]): number | undefined {
  if (typeof value !== 'string') {
    errors.push(`${at}: a Duration must be a string such as "5s", not ${JSON.stringify(value)}`);
    return undefined;
  }
  const m = DURATION.exec(value);
  if (!m || Number(m[2]) > MAX_DURATION_SECONDS) {
    errors.push(`${at}: '${value}' is not a proto3 JSON Duration within +-${MAX_DURATION_SECONDS}s`);
    return undefined;
  }
  return (m[1] ? -1 : 1) * (Number(m[2]) + Number(`0.${m[3] ?? '0'}`));
}

function durationRuleSeconds(d: any): number {
  return Number(d?.seconds ?? 0) + Number(d?.nanos ?? 0) / 1e9;
}

const INT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
const WRAPPERS: { [name: string]: string } = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

/** A JSON value of a scalar type, as a number/string/boolean, or an error. */
function scalar(type: string, value: unknown, at: string, errors: string[]): unknown {
  if (INT_TYPES.has(type)) {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      errors.push(`${at}: ${type} expected, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const unsigned = type.startsWith('uint') || type.startsWith('fixed');
    const bits = type.endsWith('32') ? 32 : 64;
    const min = unsigned ? 0 : -(2 ** (bits - 1));
    const max = unsigned ? 2 ** bits - 1 : 2 ** (bits - 1) - 1;
    if (n < min || n > max) errors.push(`${at}: ${n} is out of the ${type} range`);
    return n;
  }
  if (type === 'double' || type === 'float') {
    if (typeof value !== 'number' && !(typeof value === 'string' && /^(-?Infinity|NaN|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(value))) {
      errors.push(`${at}: ${type} expected, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return Number(value);
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') errors.push(`${at}: bool expected, got ${JSON.stringify(value)}`);
    return value;
  }
  if (type === 'string') {
    if (typeof value !== 'string') errors.push(`${at}: string expected, got ${JSON.stringify(value)} (${typeof value})`);
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*=*$/.test(value)) errors.push(`${at}: base64 bytes expected, got ${JSON.stringify(value)}`);
    return value;
  }
  errors.push(`${at}: unsupported scalar type ${type}`);
  return undefined;
}

function rulesOf(obj: { parsedOptions?: unknown }, option = '(validate.rules)'): any {
  for (const o of (obj.parsedOptions as any[] | null | undefined) ?? []) if (o && o[option] !== undefined) return o[option];
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
function isIp(s: string): boolean {
  if (IPV4.test(s)) return true;
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2;
}
function isHostname(s: string): boolean {
  return s.length <= 253 && s.replace(/\.$/, '').split('.').every(l => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** protoc-gen-validate numeric rules (also the range forms gt > lt). */
function numberRules(r: any, n: number, at: string, errors: string[]) {
  const num = (x: any) => Number(x);
  if (r.const !== undefined && n !== num(r.const)) errors.push(`${at}: must be ${r.const}, is ${n}`);
  if (r.in && !r.in.map(num).includes(n)) errors.push(`${at}: must be one of ${r.in}, is ${n}`);
  if (r.not_in && r.not_in.map(num).includes(n)) errors.push(`${at}: must not be one of ${r.not_in}`);
  const low = r.gt !== undefined ? { v: num(r.gt), ok: (x: number) => x > num(r.gt), s: `> ${r.gt}` } : r.gte !== undefined ? { v: num(r.gte), ok: (x: number) => x >= num(r.gte), s: `>= ${r.gte}` } : undefined;
  const high = r.lt !== undefined ? { v: num(r.lt), ok: (x: number) => x < num(r.lt), s: `< ${r.lt}` } : r.lte !== undefined ? { v: num(r.lte), ok: (x: number) => x <= num(r.lte), s: `<= ${r.lte}` } : undefined;
  if (low && high && high.v < low.v) {
    if (!(low.ok(n) || high.ok(n))) errors.push(`${at}: ${n} must be ${low.s} or ${high.s}`);
    return;
  }
  if (low && !low.ok(n)) errors.push(`${at}: ${n} must be ${low.s}`);
  if (high && !high.ok(n)) errors.push(`${at}: ${n} must be ${high.s}`);
}

/** Translates the RE2 patterns PGV uses into JS regexes (they use no RE2-only syntax). */
function re2(pattern: string): RegExp {
  return new RegExp(pattern.replace(/\\A/g, '^').replace(/\\z/g, '$'), 'u');
}

function stringRules(r: any, s: string, at: string, errors: string[]) {
  const chars = [...s].length;
  const bytes = Buffer.byteLength(s);
  if (r.ignore_empty && s === '') return;
  if (r.const !== undefined && s !== r.const) errors.push(`${at}: must be '${r.const}'`);
  if (r.len !== undefined && chars !== Number(r.len)) errors.push(`${at}: must be ${r.len} characters`);
  if (r.min_len !== undefined && chars < Number(r.min_len)) errors.push(`${at}: '${s}' is shorter than ${r.min_len} characters`);
  if (r.max_len !== undefined && chars > Number(r.max_len)) errors.push(`${at}: longer than ${r.max_len} characters`);
  if (r.min_bytes !== undefined && bytes < Number(r.min_bytes)) errors.push(`${at}: shorter than ${r.min_bytes} bytes`);
  if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) errors.push(`${at}: longer than ${r.max_bytes} bytes`);
  if (r.pattern !== undefined && !re2(r.pattern).test(s)) errors.push(`${at}: '${s}' does not match ${r.pattern}`);
  if (r.prefix !== undefined && !s.startsWith(r.prefix)) errors.push(`${at}: must start with '${r.prefix}'`);
  if (r.suffix !== undefined && !s.endsWith(r.suffix)) errors.push(`${at}: must end with '${r.suffix}'`);
  if (r.contains !== undefined && !s.includes(r.contains)) errors.push(`${at}: must contain '${r.contains}'`);
  if (r.not_contains !== undefined && s.includes(r.not_contains)) errors.push(`${at}: must not contain '${r.not_contains}'`);
  if (r.in && !r.in.includes(s)) errors.push(`${at}: '${s}' must be one of ${r.in.join(', ')}`);
  if (r.not_in && r.not_in.includes(s)) errors.push(`${at}: '${s}' must not be one of ${r.not_in.join(', ')}`);
  if (r.hostname && !isHostname(s)) errors.push(`${at}: '${s}' is not a hostname`);
  if ((r.ip || r.ipv4 || r.ipv6) && !isIp(s)) errors.push(`${at}: '${s}' is not an IP address`);
  if (r.address && !isIp(s) && !isHostname(s)) errors.push(`${at}: '${s}' is not an address`);
  if (r.uri && !/^[a-z][a-z0-9+.-]*:/i.test(s)) errors.push(`${at}: '${s}' is not a URI`);
  if (r.well_known_regex === 'HTTP_HEADER_NAME' || r.well_known_regex === 'HTTP_HEADER_VALUE') {
    const strict = r.strict !== false;
    const bad = r.well_known_regex === 'HTTP_HEADER_NAME'
      ? (strict ? /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/ : /^[^\0\r\n]+$/)
      : (strict ? /^[^\0-\x08\x0A-\x1F\x7F]*$/ : /^[^\0\r\n]*$/);
    if (!bad.test(s)) errors.push(`${at}: '${s}' is not a valid ${r.well_known_regex}`);
  }
}

interface Context {
  readonly errors: string[];
  /** Every RouteAction's target clusters, with their path. */
  readonly routeClusters: { at: string; cluster: string }[];
  /** Every DNS cache config, by the path of the message that holds it. */
  readonly dnsCaches: { at: string; config: any; owner: string }[];
}

/** The scalar rules of a field (the one member of `(validate.rules)` that is not `repeated`/`map`/`message`). */
function validateScalarRules(rules: any, type: string, value: any, at: string, errors: string[]) {
  if (!rules) return;
  const key = Object.keys(rules).find(k => !['message', 'repeated', 'map'].includes(k));
  if (!key) return;
  const r = rules[key];
  if (key === 'string' && typeof value === 'string') {stringRules(r, value, at, errors);} else if (key === 'bytes' && typeof value === 'string') {
    const len = Buffer.from(value, 'base64').length;
    if (r.min_len !== undefined && len < Number(r.min_len)) errors.push(`${at}: shorter than ${r.min_len} bytes`);
  } else if (key === 'bool') {
    if (r.const !== undefined && value !== r.const) errors.push(`${at}: must be ${r.const}`);
  } else if (typeof value === 'number' && (INT_TYPES.has(key) || key === 'double' || key === 'float')) {
    if (!(r.ignore_empty && value === 0)) numberRules(r, value, at, errors);
  } else if (key !== type && !['enum', 'duration', 'any', 'timestamp'].includes(key)) {
    errors.push(`${at}: has '${key}' rules for a ${type} field`);
  }
}

function validateField(field: protobuf.Field, value: any, at: string, ctx: Context) {
  const rules = rulesOf(field);
  if (field.map) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      ctx.errors.push(`${at}: a map (object) expected`);
      return;
    }
    const entries = Object.entries(value);
    if (rules?.map?.min_pairs !== undefined && entries.length < Number(rules.map.min_pairs)) ctx.errors.push(`${at}: at least ${rules.map.min_pairs} entries`);
    for (const [k, v] of entries) {
      validateValue(field, field.type, v, `${at}.${k}`, ctx, rules?.map?.values);
      if (rules?.map?.keys) validateScalarRules(rules.map.keys, (field as unknown as protobuf.MapField).keyType, k, `${at} key '${k}'`, ctx.errors);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      ctx.errors.push(`${at}: a list expected, got ${JSON.stringify(value)}`);
      return;
    }
    const r = rules?.repeated;
    if (r?.min_items !== undefined && value.length < Number(r.min_items)) ctx.errors.push(`${at}: at least ${r.min_items} items, got ${value.length}`);
    if (r?.max_items !== undefined && value.length > Number(r.max_items)) ctx.errors.push(`${at}: at most ${r.max_items} items, got ${value.length}`);
    if (r?.unique && new Set(value.map(v => JSON.stringify(v))).size !== value.length) ctx.errors.push(`${at}: items must be unique`);
    value.forEach((v, i) => validateValue(field, field.type, v, `${at}[${i}]`, ctx, r?.items));
    return;
  }
  validateValue(field, field.type, value, at, ctx, rules);
}

function validateValue(field: protobuf.Field, type: string, value: any, at: string, ctx: Context, rules: any) {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    let n: number | undefined;
    if (typeof value === 'string') {
      n = resolved.values[value];
      if (n === undefined) ctx.errors.push(`${at}: '${value}' is not a value of enum ${resolved.fullName.slice(1)} (${Object.keys(resolved.values).join(', ')})`);
    } else if (typeof value === 'number' && Number.isInteger(value)) {
      n = value;
    } else {
      ctx.errors.push(`${at}: an enum name of ${resolved.fullName.slice(1)} expected, got ${JSON.stringify(value)}`);
    }
    const r = rules?.enum;
    if (n !== undefined && r) {
      if (r.defined_only && !Object.values(resolved.values).includes(n)) ctx.errors.push(`${at}: ${n} is not a defined value`);
      if (r.const !== undefined && n !== Number(r.const)) ctx.errors.push(`${at}: must be ${r.const}`);
      if (r.in && !r.in.map(Number).includes(n)) ctx.errors.push(`${at}: must be one of ${r.in}`);
      if (r.not_in && r.not_in.map(Number).includes(n)) ctx.errors.push(`${at}: must not be one of ${r.not_in}`);
    }
    const deprecated = Object.entries(resolved.valuesOptions ?? {}).find(([name, o]) => (resolved.values[name] === n) && (o as any)?.deprecated);
    if (deprecated) ctx.errors.push(`${at}: enum value ${deprecated[0]} is deprecated`);
    return;
  }
  if (resolved instanceof protobuf.Type) {
    validateMessage(resolved, value, at, ctx, rules);
    return;
  }
  const v = scalar(type, value, at, ctx.errors);
  if (v !== undefined) validateScalarRules(rules, type, v, at, ctx.errors);
}

/** A message in its proto3 JSON form, with the PGV rules of the field that holds it. */
function validateMessage(type: protobuf.Type, value: any, at: string, ctx: Context, rules?: any) {
  const name = type.fullName.slice(1);
  if (name === 'google.protobuf.Duration') {
    const s = durationSeconds(value, at, ctx.errors);
    const r = rules?.duration;
    if (s !== undefined && r) {
      if (r.gt !== undefined && !(s > durationRuleSeconds(r.gt))) ctx.errors.push(`${at}: ${value} must be > ${durationRuleSeconds(r.gt)}s`);
      if (r.gte !== undefined && !(s >= durationRuleSeconds(r.gte))) ctx.errors.push(`${at}: ${value} must be >= ${durationRuleSeconds(r.gte)}s`);
      if (r.lt !== undefined && !(s < durationRuleSeconds(r.lt))) ctx.errors.push(`${at}: ${value} must be < ${durationRuleSeconds(r.lt)}s`);
      if (r.lte !== undefined && !(s <= durationRuleSeconds(r.lte))) ctx.errors.push(`${at}: ${value} must be <= ${durationRuleSeconds(r.lte)}s`);
    }
    return;
  }
  if (WRAPPERS[name]) {
    const v = scalar(WRAPPERS[name], value, at, ctx.errors);
    if (v !== undefined) validateScalarRules(rules, WRAPPERS[name], v, at, ctx.errors);
    return;
  }
  if (name === 'google.protobuf.Value') return;
  if (name === 'google.protobuf.Struct') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) ctx.errors.push(`${at}: a Struct (object) expected`);
    return;
  }
  if (name === 'google.protobuf.ListValue') {
    if (!Array.isArray(value)) ctx.errors.push(`${at}: a list expected`);
    return;
  }
  if (name === 'google.protobuf.Timestamp') {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) ctx.errors.push(`${at}: an RFC 3339 timestamp expected`);
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    ctx.errors.push(`${at}: a ${name} (object) expected, got ${JSON.stringify(value)}`);
    return;
  }
  if (name === 'google.protobuf.Any') {
    const url = value['@type'];
    const m = typeof url === 'string' ? /^type\.googleapis\.com\/([\w.]+)$/.exec(url) : null;
    const inner = m ? messageType(m[1]) : undefined;
    if (!inner) {
      ctx.errors.push(`${at}: '@type' ${JSON.stringify(url)} is no message of Envoy's API`);
      return;
    }
    if (rules?.any?.in && !rules.any.in.includes(url)) ctx.errors.push(`${at}: '@type' must be one of ${rules.any.in}`);
    const { ['@type']: _, ...rest } = value;
    const wkt = inner.fullName.slice(1).startsWith('google.protobuf.');
    validateMessage(inner, wkt ? rest.value : rest, `${at}<${m![1].split('.').pop()}>`, ctx);
    return;
  }

  // Field names: the proto name or its JSON (lowerCamelCase) name.
  const byJsonName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byJsonName.set(f.name, f);
    byJsonName.set(f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), f);
  }
  const present = new Map<string, any>();
  for (const [key, v] of Object.entries(value)) {
    const f = byJsonName.get(key);
    if (!f) {
      ctx.errors.push(`${at}: unknown field '${key}' in ${name}`);
      continue;
    }
    if (present.has(f.name)) ctx.errors.push(`${at}: field '${f.name}' given twice`);
    if (v === null) continue; // null is the default value in proto3 JSON
    present.set(f.name, v);
    if (f.options?.deprecated) ctx.errors.push(`${at}.${key}: the field is deprecated`);
    validateField(f, v, `${at}.${key}`, ctx);
  }

  for (const oneof of type.oneofsArray) {
    if (oneof.name.startsWith('_')) continue; // proto3 optional
    const set = oneof.fieldsArray.filter(f => present.has(f.name)).map(f => f.name);
    if (set.length > 1) ctx.errors.push(`${at}: oneof '${oneof.name}' of ${name} has ${set.join(' and ')}`);
    if (set.length === 0 && rulesOf(oneof, '(validate.required)')) ctx.errors.push(`${at}: oneof '${oneof.name}' of ${name} needs one of ${oneof.fieldsArray.map(f => f.name).join(', ')}`);
  }

  // PGV rules of absent fields: required messages; scalars are checked at their default.
  for (const f of type.fieldsArray) {
    if (present.has(f.name)) continue;
    const r = rulesOf(f);
    if (!r) continue;
    if (f.repeated || f.map) {
      if (r.repeated?.min_items > 0) ctx.errors.push(`${at}.${f.name}: at least ${r.repeated.min_items} items, got none`);
      if (r.map?.min_pairs > 0) ctx.errors.push(`${at}.${f.name}: at least ${r.map.min_pairs} entries, got none`);
      continue;
    }
    if (f.partOf && !f.partOf.name.startsWith('_')) continue;
    if (f.resolvedType instanceof protobuf.Type) {
      if (r.message?.required || r.duration?.required || r.any?.required || r.timestamp?.required) ctx.errors.push(`${at}.${f.name}: required`);
      continue;
    }
    if (f.partOf) continue;
    if (f.resolvedType instanceof protobuf.Enum) {
      if (r.enum?.const !== undefined && Number(r.enum.const) !== 0) ctx.errors.push(`${at}.${f.name}: must be ${r.enum.const}`);
      continue;
    }
    const zero = f.type === 'string' || f.type === 'bytes' ? '' : f.type === 'bool' ? false : 0;
    validateScalarRules(r, f.type, zero, `${at}.${f.name}`, ctx.errors);
  }

  // What the cross-checks need.
  if (name === 'envoy.config.route.v3.RouteAction') {
    if (typeof value.cluster === 'string') ctx.routeClusters.push({ at, cluster: value.cluster });
    for (const c of value.weighted_clusters?.clusters ?? []) ctx.routeClusters.push({ at, cluster: c.name });
  }
  if (name === 'envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig' && value.dns_cache_config) {
    ctx.dnsCaches.push({ at, config: value.dns_cache_config, owner: 'filter' });
  }
  if (name === 'envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig' && value.dns_cache_config) {
    ctx.dnsCaches.push({ at, config: value.dns_cache_config, owner: 'cluster' });
  }
}

function addressKey(a: any): string | undefined {
  const s = a?.socket_address;
  return s ? `${s.address}:${s.port_value}` : undefined;
}

function conflicts(a: string, b: string): boolean {
  const [ha, pa] = [a.slice(0, a.lastIndexOf(':')), a.slice(a.lastIndexOf(':') + 1)];
  const [hb, pb] = [b.slice(0, b.lastIndexOf(':')), b.slice(b.lastIndexOf(':') + 1)];
  return pa === pb && (ha === hb || ha === '0.0.0.0' || hb === '0.0.0.0' || ha === '::' || hb === '::');
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/** Envoy's load-time checks of a (schema-valid) bootstrap. */
function crossChecks(b: any, ctx: Context) {
  const listeners: any[] = b.static_resources?.listeners ?? [];
  const clusters: any[] = b.static_resources?.clusters ?? [];
  for (const d of duplicates(listeners.map(l => l.name))) ctx.errors.push(`two listeners are named '${d}'`);
  for (const d of duplicates(clusters.map(c => c.name))) ctx.errors.push(`two clusters are named '${d}'`);
  const addresses = [...(b.admin?.address ? [{ name: 'admin', key: addressKey(b.admin.address) }] : []), ...listeners.map(l => ({ name: `listener '${l.name}'`, key: addressKey(l.address) }))];
  addresses.forEach((a, i) => addresses.slice(i + 1).forEach(o => {
    if (a.key && o.key && conflicts(a.key, o.key)) ctx.errors.push(`${a.name} and ${o.name} both bind ${o.key}`);
  }));
  const names = new Set(clusters.map(c => c.name));
  for (const r of ctx.routeClusters) if (!names.has(r.cluster)) ctx.errors.push(`${r.at}: route to cluster '${r.cluster}', which does not exist`);
  for (const c of clusters) {
    const endpoints = (c.load_assignment?.endpoints ?? []).flatMap((e: any) => e.lb_endpoints ?? []);
    const type = c.type ?? 'STATIC';
    if (!c.cluster_type && type === 'STATIC') {
      for (const e of endpoints) {
        const address = e.endpoint?.address?.socket_address?.address;
        if (!isIp(address)) ctx.errors.push(`cluster '${c.name}': a STATIC cluster needs IP addresses, not '${address}'`);
      }
    }
    if (!c.cluster_type && type === 'LOGICAL_DNS' && endpoints.length !== 1) ctx.errors.push(`cluster '${c.name}': LOGICAL_DNS clusters must have a single host`);
    if (c.load_assignment && c.load_assignment.cluster_name !== c.name) ctx.errors.push(`cluster '${c.name}': load_assignment.cluster_name is '${c.load_assignment.cluster_name}'`);
  }
  // Route tables: unique virtual host names and domains.
  const walk = (v: any, visit: (o: any) => void) => {
    if (Array.isArray(v)) {v.forEach(x => walk(x, visit));} else if (v && typeof v === 'object') {
      visit(v);
      Object.values(v).forEach(x => walk(x, visit));
    }
  };
  walk(b, (o) => {
    if (Array.isArray(o.virtual_hosts)) {
      for (const d of duplicates(o.virtual_hosts.map((v: any) => v.name))) ctx.errors.push(`route table '${o.name}': two virtual hosts are named '${d}'`);
      for (const d of duplicates(o.virtual_hosts.flatMap((v: any) => (v.domains ?? []).map((x: string) => x.toLowerCase())))) {
        ctx.errors.push(`route table '${o.name}': only unique values for domains are permitted, '${d}' is repeated`);
      }
    }
    if (Array.isArray(o.http_filters) && o.http_filters.length > 0) {
      const last = o.http_filters[o.http_filters.length - 1];
      if (last.name !== 'envoy.filters.http.router' && !String(last.typed_config?.['@type']).endsWith('.router.v3.Router')) {
        ctx.errors.push(`http filter chain of '${o.stat_prefix}' does not end with the router`);
      }
    }
  });
  const filterCaches = ctx.dnsCaches.filter(c => c.owner === 'filter');
  const clusterCaches = ctx.dnsCaches.filter(c => c.owner === 'cluster');
  for (const c of [...filterCaches, ...clusterCaches]) {
    for (const o of ctx.dnsCaches) {
      if (o.config.name === c.config.name && JSON.stringify(o.config) !== JSON.stringify(c.config)) {
        ctx.errors.push(`${c.at}: DNS cache '${c.config.name}' is configured differently at ${o.at}`);
      }
    }
  }
  for (const f of filterCaches) {
    if (!clusterCaches.some(c => c.config.name === f.config.name)) ctx.errors.push(`${f.at}: no dynamic forward proxy cluster uses DNS cache '${f.config.name}'`);
  }
}

/** The problems Envoy would find in `text` (an `envoy.yaml`); empty when it loads. */
export function envoyBootstrapErrors(text: string): string[] {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) return doc.errors.map(e => `YAML: ${e.message}`);
  const value = doc.toJS({ maxAliasCount: -1 });
  const ctx: Context = { errors: [], routeClusters: [], dnsCaches: [] };
  validateMessage(messageType('envoy.config.bootstrap.v3.Bootstrap')!, value, 'bootstrap', ctx);
  if (ctx.errors.length === 0) crossChecks(value, ctx);
  return ctx.errors;
}

/** Throws, listing every problem, when Envoy would refuse `text`. */
export function validateEnvoyBootstrap(text: string): void {
  const errors = envoyBootstrapErrors(text);
  if (errors.length > 0) throw new Error(`Envoy would refuse this bootstrap:\n- ${errors.join('\n- ')}\n---\n${text}`);
}
