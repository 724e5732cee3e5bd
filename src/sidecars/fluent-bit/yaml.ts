/**
 * The one renderer of Fluent Bit's YAML configuration format (fluent-bit.yaml).
 * Internal: nothing here is exported from the package.
 *
 * How Fluent Bit reads the format (src/config_format/flb_cf_yaml.c at v5.1.1): libyaml
 * events; the top-level keys `service`, `parsers`, `multiline_parsers`, `pipeline`
 * (with `inputs`, `filters`, `outputs`), `env`, `includes`, ... open sections; under a
 * plugin, a scalar value is one property, a sequence of scalars the same property
 * set once per item (src/flb_config.c, CFL_VARIANT_ARRAY). Every scalar reaches
 * Fluent Bit as a string: there is no typing.
 *
 * Structure is never built from user text: keys are checked identifiers, and every
 * value is a scalar written plain only when it is made of characters that cannot
 * start or end a YAML construct, else double-quoted with every character outside
 * printable ASCII escaped. A value can therefore never add a key, a section or a
 * pipeline, whatever it contains; the per-field checks are stricter still (one
 * line, no control characters), because Fluent Bit passes values on to HTTP
 * headers, file paths and regular expressions.
 */

/** A YAML node: a scalar, a sequence or a mapping (in order). */
export type YamlNode = string | YamlList | YamlMap;

/** A sequence. */
export interface YamlList {
  readonly list: readonly YamlNode[];
}

/** A mapping, its keys in order (never repeated). */
export interface YamlMap {
  readonly map: ReadonlyArray<readonly [string, YamlNode]>;
}

/** A plugin or service key: an identifier, with `.` for namespaced keys (`storage.type`, `tls.verify`). */
const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** A scalar written without quotes: no YAML indicator, no space, no ':' or '#'. */
const PLAIN = /^[A-Za-z0-9_/][A-Za-z0-9_./*-]*$/;
const INDENT = '  ';

/** Why `key` cannot be a key of Fluent Bit's YAML, or undefined when it can. */
export function yamlKeyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || !KEY.test(key)) {
    return `key '${printable(String(key))}' is not a plain identifier (letters, digits, '_', '.', '-', starting with a letter)`;
  }
  return undefined;
}

/** Why `value` cannot be one value of a property, or undefined when it can. */
export function yamlValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') {
    return 'the value is not a string';
  }
  if (value.length === 0) {
    return 'the value is empty';
  }
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(value)) {
    return `'${printable(value)}' contains a line break or another control character`;
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
    return `'${printable(value)}' is not valid Unicode text`;
  }
  if (value.trim() !== value) {
    return `'${value}' starts or ends with whitespace, which Fluent Bit strips`;
  }
  return undefined;
}

/**
 * Renders a document. Throws a `YamlError` (with the path of the offending key)
 * when a key or a value fails the checks above: the last line of defence behind
 * the per-field validation of the sidecar.
 */
export function renderYaml(doc: YamlMap): string {
  const lines: string[] = [];
  writeMap(doc, 0, [], lines);
  return lines.join('\n') + '\n';
}

function writeMap(node: YamlMap, depth: number, path: string[], out: string[], firstPrefix?: string): void {
  if (node.map.length === 0) {
    throw new YamlError(path, 'an empty mapping');
  }
  const seen = new Set<string>();
  node.map.forEach(([key, value], i) => {
    const here = [...path, key];
    const problem = yamlKeyProblem(key);
    if (problem !== undefined) throw new YamlError(path, problem);
    if (seen.has(key.toLowerCase())) throw new YamlError(here, `key '${key}' is repeated`);
    seen.add(key.toLowerCase());
    const indent = i === 0 && firstPrefix !== undefined ? firstPrefix : INDENT.repeat(depth);
    if (typeof value === 'string') {
      out.push(`${indent}${key}: ${scalar(value, here)}`);
    } else if ('list' in value) {
      out.push(`${indent}${key}:`);
      writeList(value, depth + 1, here, out);
    } else {
      out.push(`${indent}${key}:`);
      writeMap(value, depth + 1, here, out);
    }
  });
}

function writeList(node: YamlList, depth: number, path: string[], out: string[]): void {
  if (node.list.length === 0) {
    throw new YamlError(path, 'an empty sequence');
  }
  for (const item of node.list) {
    const dash = `${INDENT.repeat(depth)}- `;
    if (typeof item === 'string') {
      out.push(`${dash}${scalar(item, path)}`);
    } else if ('list' in item) {
      throw new YamlError(path, 'a sequence directly in a sequence');
    } else {
      writeMap(item, depth + 1, path, out, dash);
    }
  }
}

function scalar(value: string, path: string[]): string {
  const problem = yamlValueProblem(value);
  if (problem !== undefined) throw new YamlError(path, problem);
  if (PLAIN.test(value)) return value;
  let quoted = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') quoted += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) quoted += ch;
    else if (code <= 0xffff) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${quoted}"`;
}

/** A key or value the renderer refused. */
export class YamlError extends Error {
  public constructor(public readonly path: string[], public readonly problem: string) {
    super(`${path.length === 0 ? '(top level)' : path.join('.')}: ${problem}`);
  }
}

/** `s` with control characters shown as escapes, for error messages. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, c => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

/** `on` / `off`, Fluent Bit's spelling of a boolean. */
export function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

/** A Fluent Bit tag, or a `match` pattern of tags. */
export const TAG = /^[A-Za-z0-9_.*-]+$/;

/** A mapping from entries, leaving out undefined values. */
export function yamlMap(entries: ReadonlyArray<readonly [string, YamlNode | undefined]>): YamlMap {
  return { map: entries.filter((e): e is [string, YamlNode] => e[1] !== undefined) };
}
