/**
 * The one renderer of Fluent Bit's classic configuration format (fluent-bit.conf,
 * parsers.conf). Internal: nothing here is exported from the package.
 *
 * How Fluent Bit reads the format (src/config_format/flb_cf_fluentbit.c): the file
 * is split into lines; a line starting with `[` opens a section, one starting with
 * `@` is a directive (`@INCLUDE`, `@SET`), one starting with `#` is a comment; any
 * other line is indented and holds a key, a space, and the rest of the line as the
 * value (trimmed). A value can therefore never leave its line unless it contains a
 * line break. The checks below are stricter than that on purpose: a value that
 * only parses safely because of where it sits is still refused.
 */

/** One `[NAME]` section and its key/value lines, in order (keys may repeat). */
export interface ConfSection {
  readonly name: string;
  readonly entries: ReadonlyArray<readonly [string, string]>;
}

/** A Fluent Bit tag, or a `Match` pattern of tags. */
export const TAG = /^[A-Za-z0-9_.*-]+$/;

const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const SECTION = /^[A-Z][A-Z_]*$/;
const INDENT = '    ';

/** Why `key` cannot be a classic-format key, or undefined when it can. */
export function confKeyProblem(key: string): string | undefined {
  if (!KEY.test(key)) {
    return `key '${printable(key)}' is not a plain identifier (letters, digits, '_', '.', '-', starting with a letter)`;
  }
  return undefined;
}

/** Why `value` cannot be a classic-format value, or undefined when it can. */
export function confValueProblem(value: string): string | undefined {
  if (value.length === 0) {
    return 'the value is empty';
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    return `'${printable(value)}' contains a line break or another control character`;
  }
  if (value.trim() !== value) {
    return `'${value}' starts or ends with whitespace, which Fluent Bit strips`;
  }
  if (value.startsWith('[')) {
    return `'${value}' starts with '[', the start of a section header`;
  }
  if (value.startsWith('@') || /@(INCLUDE|SET)\b/i.test(value)) {
    return `'${value}' contains a configuration directive ('@INCLUDE', '@SET' or a leading '@')`;
  }
  return undefined;
}

/**
 * Renders sections in Fluent Bit's classic format. Throws (with the offending
 * section and key) when a key or value fails the checks above: the last line of
 * defence behind the per-field validation of the sidecar.
 */
export function renderConf(sections: readonly ConfSection[]): string {
  const blocks = sections.map(section => {
    if (!SECTION.test(section.name)) {
      throw new ConfError(section.name, undefined, `'${section.name}' is not a section name`);
    }
    const width = Math.max(0, ...section.entries.map(([key]) => key.length)) + 1;
    const lines = section.entries.map(([key, value]) => {
      const problem = confKeyProblem(key) ?? confValueProblem(value);
      if (problem !== undefined) {
        throw new ConfError(section.name, key, problem);
      }
      return `${INDENT}${key.padEnd(width)}${value}`;
    });
    return [`[${section.name}]`, ...lines].join('\n');
  });
  return blocks.join('\n\n') + '\n';
}

/** A key or value the renderer refused. */
export class ConfError extends Error {
  public constructor(public readonly section: string, public readonly key: string | undefined, public readonly problem: string) {
    super(`[${section}]${key === undefined ? '' : ` ${key}`}: ${problem}`);
  }
}

/** `s` with control characters shown as escapes, for error messages. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, c => {
    switch (c) {
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

/** `On` / `Off`, Fluent Bit's spelling of a boolean. */
export function onOff(value: boolean): string {
  return value ? 'On' : 'Off';
}
