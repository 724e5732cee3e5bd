import { FluentBitOutputOptions } from './options';
import { Entry, OutputPlugin } from './plugin';

/**
 * Options of the `stdout` output (records as JSON lines on the container's stdout).
 */
export interface FluentBitStdoutOptions extends FluentBitOutputOptions {}

/**
 * The `stdout` plugin, JSON lines; `retry_limit` only when one is given. Made by
 * `FluentBitOutput.stdout()`.
 *
 * @internal
 */
export class StdoutPlugin extends OutputPlugin {
  public constructor(options: FluentBitStdoutOptions) {
    super('stdout', options, false);
  }

  public entries(): Entry[] {
    return [['format', 'json_lines']];
  }
}
