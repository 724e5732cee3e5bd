/**
 * Fluent Bit's log level.
 */
export enum FluentBitLogLevel {
  /** No logging. */
  OFF = 'off',
  /** Errors only. */
  ERROR = 'error',
  /** Errors and warnings. */
  WARN = 'warn',
  /** Errors, warnings and informational messages. */
  INFO = 'info',
  /** Everything above plus debug messages. */
  DEBUG = 'debug',
  /** Everything (only in builds with trace enabled). */
  TRACE = 'trace',
}
