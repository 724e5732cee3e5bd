/**
 * The format of a parser.
 */
export enum FluentBitParserFormat {
  /** JSON. */
  JSON = 'json',
  /** A regular expression with named captures (`regex` is required). */
  REGEX = 'regex',
  /** Labeled tab-separated values. */
  LTSV = 'ltsv',
  /** `key=value` pairs. */
  LOGFMT = 'logfmt',
}

/**
 * A parser in fluent-bit.yaml's `parsers`, next to the built-in `json` and `docker` parsers.
 */
export interface FluentBitParser {
  /** The parser's name (letters, digits, `_`, `.`, `-`). */
  readonly name: string;

  /** The format. */
  readonly format: FluentBitParserFormat;

  /**
   * The regular expression, with named captures (required for REGEX, not allowed
   * otherwise). Ruby syntax, single line.
   *
   * @default - none
   */
  readonly regex?: string;

  /**
   * The field that holds the record's time.
   *
   * @default - the time the record was read
   */
  readonly timeKey?: string;

  /**
   * The strptime format of `timeKey` (for example `%Y-%m-%dT%H:%M:%S.%L%z`).
   *
   * @default - none
   */
  readonly timeFormat?: string;

  /**
   * Keep the time field in the record after parsing it.
   *
   * @default false
   */
  readonly timeKeep?: boolean;
}
