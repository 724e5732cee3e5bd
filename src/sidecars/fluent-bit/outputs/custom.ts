import { FluentBitOutputOptions } from './options';
import { Entry, OutputChecks, OutputPlugin } from './plugin';
import { shown } from '../../../core/checks';

const PLUGIN = /^[a-z][a-z0-9_]*$/;

/**
 * Options of any other output plugin.
 */
export interface FluentBitCustomOutputOptions extends FluentBitOutputOptions {
  /** The plugin name (Fluent Bit's `Name`, for example `kafka` or `s3`). */
  readonly plugin: string;
}

/**
 * Any other plugin: its properties come from `properties`. Made by
 * `FluentBitOutput.custom()`.
 *
 * @internal
 */
export class CustomPlugin extends OutputPlugin {
  public constructor(options: FluentBitCustomOutputOptions) {
    super(options.plugin, options);
  }

  public entries(checks: OutputChecks): Entry[] {
    if (typeof this.plugin !== 'string' || !PLUGIN.test(this.plugin)) {
      checks.fail(`${shown(this.plugin)} is not an output plugin name`, 'pass the plugin\'s name, lower-case letters, digits and \'_\' (for example \'kafka\')');
    }
    return [];
  }
}
