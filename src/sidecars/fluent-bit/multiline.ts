import { Duration } from 'cdk8s';

/**
 * One continuation rule of a custom multiline parser: in state `state`, a line
 * matching `regex` belongs to the current record, and the parser moves to
 * `nextState`. A line that matches no rule of the current state ends the record.
 */
export interface FluentBitMultilineRule {
  /** The state the rule applies in (letters, digits and `_`; not `start_state`). */
  readonly state: string;

  /** The regular expression of a continuation line (Ruby/Onigmo syntax, one line). */
  readonly regex: string;

  /** The state after a matching line: this rule's own state, another rule's, or `start_state`. */
  readonly nextState: string;
}

/**
 * A multiline parser of your own (Fluent Bit's `multiline_parsers`, type `regex`).
 */
export interface FluentBitMultilineParserOptions {
  /** The parser's name (letters, digits, `_`, `.`, `-`; not a built-in one). */
  readonly name: string;

  /**
   * The regular expression of the first line of a record (the `start_state`
   * rule), for example `^\d{4}-\d{2}-\d{2}` or `^[A-Z][a-z]{2} \d+`.
   */
  readonly startRegex: string;

  /**
   * The continuation rules, at least one. The start rule moves to the first
   * rule's `state`.
   */
  readonly continuationRules: FluentBitMultilineRule[];

  /**
   * How long a record waits for more lines before it is emitted (whole
   * milliseconds, at least 1).
   *
   * @default Duration.seconds(1)
   */
  readonly flushTimeout?: Duration;
}

/**
 * A multiline parser for the tail input (`multiline.parser`): the lines of one
 * stack trace or multi-line message become one record. Fluent Bit's built-in
 * parsers, or `custom()` with typed rules.
 */
export class FluentBitMultilineParser {
  /** Go panics and stack traces (built in). */
  public static readonly GO = new FluentBitMultilineParser('go');
  /** Python tracebacks (built in). */
  public static readonly PYTHON = new FluentBitMultilineParser('python');
  /** Java exceptions and stack traces (built in). */
  public static readonly JAVA = new FluentBitMultilineParser('java');
  /** Docker's JSON log lines split at 16 KiB (built in). */
  public static readonly DOCKER = new FluentBitMultilineParser('docker');
  /** CRI log lines split into partial lines (built in). */
  public static readonly CRI = new FluentBitMultilineParser('cri');

  /**
   * A multiline parser of your own: a start rule and continuation rules.
   */
  public static custom(options: FluentBitMultilineParserOptions): FluentBitMultilineParser {
    return new FluentBitMultilineParser(options.name, options);
  }

  /** The parser's name in Fluent Bit. */
  public readonly name: string;

  /**
   * The rules of a custom parser.
   *
   * @internal
   */
  public readonly _custom?: FluentBitMultilineParserOptions;

  private constructor(name: string, custom?: FluentBitMultilineParserOptions) {
    this.name = name;
    this._custom = custom;
  }
}


