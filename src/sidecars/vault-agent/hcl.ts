/**
 * Internal: a small HCL renderer for generated configuration (Vault Agent).
 * Nothing here is exported from the package.
 *
 * Configuration is built as data (attributes and blocks) and rendered here, in one
 * place. Identifiers (attribute names, block types) come from this library and are
 * checked against the HCL identifier grammar; string values may come from users and
 * go through `hclString`, which escapes `\` and `"` and refuses what it cannot
 * render safely:
 *
 * - control characters (newlines, tabs, ...): a newline would end the attribute;
 * - the template sequences `${` and `%{`: Vault reads its configuration with HCL 1,
 *   which keeps them literally, while HCL 2 (and the tools that read the file with
 *   it) treats them as interpolation. No escape means the same thing in both, so
 *   they are refused instead of escaped;
 * - text not in Unicode normalization form C: HCL 2 normalizes it, HCL 1 does not.
 *
 * With those gone, a string value is one token in both HCL versions: a user value
 * can never close its string and add an attribute, a block or a stanza.
 */

/** An HCL value: a string, a number, a boolean, a list of strings or an object. */
export type HclValue = string | number | boolean | ReadonlyArray<string> | HclObject;

/** An HCL object value (`{ key = value }`), keys in insertion order. */
export interface HclObject {
  readonly [key: string]: HclValue;
}

/** One line of an HCL body: an attribute or a block. */
export type HclEntry =
  | { readonly attribute: string; readonly value: HclValue }
  | { readonly block: string; readonly labels?: string[]; readonly body: HclEntry[] };

/** Raised for a string value that cannot be rendered safely. */
export class HclValueError extends Error {}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An attribute entry. */
export function attr(name: string, value: HclValue): HclEntry {
  return { attribute: name, value };
}

/** A block entry. */
export function block(type: string, labels: string[], body: HclEntry[]): HclEntry {
  return { block: type, labels, body };
}

/**
 * Why `value` cannot be an HCL string, or undefined when it can.
 */
function hclStringProblem(value: string): string | undefined {
  if (CONTROL.test(value)) {
    return 'it contains a control character (a newline, a tab, ...)';
  }
  if (value.includes('${') || value.includes('%{')) {
    return 'it contains \'${\' or \'%{\', which HCL reads as a template sequence';
  }
  if (value !== value.normalize('NFC')) {
    return 'it is not in Unicode normalization form C, which HCL 2 applies and HCL 1 does not';
  }
  return undefined;
}

/** `value` as a quoted HCL string, or a HclValueError. */
export function hclString(value: string): string {
  const problem = hclStringProblem(value);
  if (problem !== undefined) {
    throw new HclValueError(`${JSON.stringify(value)} cannot be written to HCL: ${problem}`);
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Renders a whole HCL file. */
export function renderHcl(entries: HclEntry[]): string {
  return renderBody(entries, '');
}

function renderBody(entries: HclEntry[], indent: string): string {
  return entries.map(e => {
    if ('attribute' in e) {
      return renderAttribute(e.attribute, e.value, indent);
    }
    const labels = (e.labels ?? []).map(l => ` ${hclString(l)}`).join('');
    return `${indent}${identifier(e.block)}${labels} {\n${renderBody(e.body, indent + '  ')}${indent}}\n`;
  }).join('');
}

function renderAttribute(name: string, value: HclValue, indent: string): string {
  return `${indent}${identifier(name)} = ${renderValue(value, indent)}\n`;
}

function renderValue(value: HclValue, indent: string): string {
  if (typeof value === 'string') return hclString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new HclValueError(`${value} is not an integer HCL can hold`);
    }
    return String(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(v => hclString(v)).join(', ')}]`;
  }
  const inner = indent + '  ';
  const lines = Object.entries(value as HclObject).map(([k, v]) => renderAttribute(k, v, inner));
  return `{\n${lines.join('')}${indent}}`;
}

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new HclValueError(`'${name}' is not an HCL identifier`);
  }
  return name;
}
