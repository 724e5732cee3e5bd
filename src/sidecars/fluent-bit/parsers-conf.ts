import { ConfSection, confValueProblem, onOff } from './conf';
import { FluentBitParser, FluentBitParserFormat } from './parsers';
import { Checks, shown } from '../../core/checks';
import { Fail } from '../../core/errors';

/**
 * Internal: the `[PARSER]` sections of `parsers.conf`, the built-in `json` and
 * `docker` parsers (seed 000) first, every user value checked. Nothing here is
 * exported from the package.
 */

const CODE = 'FLUENT_BIT_PARSER_INVALID';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const BUILT_IN: ConfSection[] = [
  { name: 'PARSER', entries: [['Name', 'json'], ['Format', 'json'], ['Time_Key', 'timestamp'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L%z']] },
  { name: 'PARSER', entries: [['Name', 'docker'], ['Format', 'json'], ['Time_Key', 'time'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L']] },
];

/** The parser sections and the names of every parser, built-in ones first. */
export function parserSections(parsers: FluentBitParser[], fail: Fail): { sections: ConfSection[]; names: string[] } {
  const sections = [...BUILT_IN];
  const names = BUILT_IN.map(s => s.entries[0][1]);
  for (const p of parsers) {
    if (typeof p.name !== 'string' || !NAME.test(p.name)) {
      fail(CODE, `parser name ${shown(p.name)} is not valid`, 'use letters, digits, \'_\', \'.\' and \'-\'');
    }
    if (names.includes(p.name)) {
      fail(CODE, `parser '${p.name}' is defined twice (json and docker are built in)`, 'give each parser its own name');
    }
    names.push(p.name);
    const problem = (text: string, fix: string): never => fail(CODE, `parser '${p.name}': ${text}`, fix);
    new Checks((_code, text, fix) => problem(text, fix)).oneOf('format', p.format, FluentBitParserFormat, 'FluentBitParserFormat');
    if ((p.format === FluentBitParserFormat.REGEX) !== (p.regex !== undefined)) {
      if (p.regex === undefined) problem('\'regex\' is missing for the REGEX format', 'pass the regular expression as \'regex\'');
      problem('\'regex\' is only for the REGEX format', 'remove \'regex\', or use FluentBitParserFormat.REGEX');
    }
    const entries: Array<[string, string]> = [['Name', p.name], ['Format', p.format]];
    const optional: Array<[string, string, string | undefined]> = [
      ['regex', 'Regex', p.regex],
      ['timeKey', 'Time_Key', p.timeKey],
      ['timeFormat', 'Time_Format', p.timeFormat],
      ['timeKeep', 'Time_Keep', p.timeKeep === undefined ? undefined : onOff(p.timeKeep)],
    ];
    for (const [prop, key, value] of optional) {
      if (value === undefined) continue;
      const valueProblem = typeof value === 'string' ? confValueProblem(value) : 'the value is not a string';
      if (valueProblem !== undefined) {
        problem(`'${prop}': ${valueProblem}`, 'pass a single-line value that does not start with \'[\' or \'@\'');
      }
      entries.push([key, value]);
    }
    sections.push({ name: 'PARSER', entries });
  }
  return { sections, names };
}
