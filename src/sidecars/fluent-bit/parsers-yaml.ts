import { FluentBitMultilineParser, FluentBitMultilineRule } from './multiline';
import { ONE_LINE_FIX } from './outputs/plugin';
import { FluentBitParser, FluentBitParserFormat } from './parsers';
import { onOff, YamlMap, yamlMap, yamlValueProblem } from './yaml';
import { Checks, shown } from '../../core/checks';
import { Fail } from '../../core/errors';

/**
 * Internal: the `parsers` and `multiline_parsers` of fluent-bit.yaml, every user
 * value checked. Nothing here is exported from the package.
 */

const PARSER_INVALID = 'FLUENT_BIT_PARSER_INVALID';
const MULTILINE_INVALID = 'FLUENT_BIT_MULTILINE_INVALID';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** A multiline state: Fluent Bit splits a rule's states at ',' (src/multiline/flb_ml_rule.c). */
const STATE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const START_STATE = 'start_state';
const BUILT_IN: YamlMap[] = [
  yamlMap([['name', 'json'], ['format', 'json'], ['time_key', 'timestamp'], ['time_format', '%Y-%m-%dT%H:%M:%S.%L%z']]),
  yamlMap([['name', 'docker'], ['format', 'json'], ['time_key', 'time'], ['time_format', '%Y-%m-%dT%H:%M:%S.%L']]),
];
/** Fluent Bit's built-in multiline parsers (src/multiline/flb_ml_parser_*.c); a custom one may not take their names. */
const BUILT_IN_MULTILINE = ['go', 'python', 'java', 'docker', 'cri', 'ruby'];

/** The `parsers` entries and the names of every parser, built-in ones first. */
export function parserEntries(parsers: FluentBitParser[], fail: Fail): { entries: YamlMap[]; names: string[] } {
  const entries = [...BUILT_IN];
  const names = ['json', 'docker'];
  for (const p of parsers) {
    if (typeof p.name !== 'string' || !NAME.test(p.name)) {
      fail(PARSER_INVALID, `parser name ${shown(p.name)} is not valid`, 'use letters, digits, \'_\', \'.\' and \'-\'');
    }
    if (names.includes(p.name)) {
      fail(PARSER_INVALID, `parser '${p.name}' is defined twice (json and docker are built in)`, 'give each parser its own name');
    }
    names.push(p.name);
    const problem = (text: string, fix: string): never => fail(PARSER_INVALID, `parser '${p.name}': ${text}`, fix);
    new Checks((_code, text, fix) => problem(text, fix)).oneOf('format', p.format, FluentBitParserFormat, 'FluentBitParserFormat');
    if ((p.format === FluentBitParserFormat.REGEX) !== (p.regex !== undefined)) {
      if (p.regex === undefined) problem('\'regex\' is missing for the REGEX format', 'pass the regular expression as \'regex\'');
      problem('\'regex\' is only for the REGEX format', 'remove \'regex\', or use FluentBitParserFormat.REGEX');
    }
    const regex = p.regex === undefined ? undefined : wrappedRegex(p.regex, (text, fix) => problem(`'regex'${text}`, fix));
    for (const [prop, value] of [['timeKey', p.timeKey], ['timeFormat', p.timeFormat]] as const) {
      const valueProblem = value === undefined ? undefined : yamlValueProblem(value);
      if (valueProblem !== undefined) problem(`'${prop}': ${valueProblem}`, ONE_LINE_FIX);
    }
    entries.push(yamlMap([
      ['name', p.name],
      ['format', p.format],
      ['regex', regex],
      ['time_key', p.timeKey],
      ['time_format', p.timeFormat],
      ['time_keep', p.timeKeep === undefined ? undefined : onOff(p.timeKeep)],
    ]));
  }
  return { entries, names };
}

/** The `multiline_parsers` entries of the custom parsers, and the names for the tail input's `multiline.parser`. */
export function multilineEntries(parsers: FluentBitMultilineParser[], fail: Fail): { entries: YamlMap[]; names: string[] } {
  const names: string[] = [];
  const entries: YamlMap[] = [];
  parsers.forEach((parser, i) => {
    if (!(parser instanceof FluentBitMultilineParser)) {
      fail(MULTILINE_INVALID, `multiline parser ${i} is not a FluentBitMultilineParser`, 'use FluentBitMultilineParser.JAVA (GO, PYTHON, DOCKER, CRI) or FluentBitMultilineParser.custom({...})');
    }
    const c = parser._custom;
    if (c === undefined) {
      if (names.includes(parser.name)) {
        fail(MULTILINE_INVALID, `multiline parser '${parser.name}' is listed twice`, 'list each parser once');
      }
      names.push(parser.name);
      return;
    }
    if (typeof c.name !== 'string' || !NAME.test(c.name)) {
      fail(MULTILINE_INVALID, `multiline parser name ${shown(c.name)} is not valid`, 'use letters, digits, \'_\', \'.\' and \'-\'');
    }
    if (names.includes(c.name) || BUILT_IN_MULTILINE.includes(c.name)) {
      fail(MULTILINE_INVALID, `multiline parser '${c.name}' is defined twice (${BUILT_IN_MULTILINE.join(', ')} are built in)`, 'give each parser its own name');
    }
    names.push(c.name);
    const problem = (text: string, fix: string): never => fail(MULTILINE_INVALID, `multiline parser '${c.name}': ${text}`, fix);
    const regex = (what: string, value: string): string => wrappedRegex(value, (text, fix) => problem(`${what}${text}`, fix));
    const rules = c.continuationRules ?? [];
    if (!Array.isArray(rules) || rules.length === 0) {
      problem('there are no continuation rules', 'pass at least one rule { state, regex, nextState } in \'continuationRules\'');
    }
    const states = [START_STATE, ...rules.map(r => r.state)];
    rules.forEach((r: FluentBitMultilineRule, j) => {
      for (const [prop, state] of [['state', r.state], ['nextState', r.nextState]] as const) {
        if (typeof state !== 'string' || !STATE.test(state)) {
          problem(`rule ${j}: '${prop}' ${shown(state)} is not a state name`, 'use letters, digits and \'_\', starting with a letter or \'_\'');
        }
      }
      if (r.state === START_STATE) {
        problem(`rule ${j}: 'state' is '${START_STATE}', which is the start rule's`, 'give continuation rules states of their own, such as \'cont\' (the start rule is \'startRegex\')');
      }
      if (!states.includes(r.nextState)) {
        problem(`rule ${j}: 'nextState' '${r.nextState}' is no rule's state, so Fluent Bit refuses the parser ("to_state is not registered")`,
          `use one of ${states.map(s => `'${s}'`).join(', ')}`);
      }
    });
    let flushMs = 1000;
    if (c.flushTimeout !== undefined) {
      flushMs = c.flushTimeout.toMilliseconds({ integral: false });
      if (!Number.isInteger(flushMs) || flushMs < 1) {
        problem(`'flushTimeout' ${flushMs}ms is not a whole number of milliseconds of at least 1`, 'pass a duration such as Duration.seconds(1)');
      }
    }
    entries.push(yamlMap([
      ['name', c.name],
      ['type', 'regex'],
      ['flush_timeout', String(flushMs)],
      ['rules', {
        list: [
          yamlMap([['state', START_STATE], ['regex', regex('\'startRegex\'', c.startRegex)], ['next_state', rules[0].state]]),
          ...rules.map((r, j) => yamlMap([['state', r.state], ['regex', regex(`rule ${j}: 'regex'`, r.regex)], ['next_state', r.nextState]])),
        ],
      }],
    ]));
  });
  return { entries, names };
}

/**
 * A regular expression as Fluent Bit reads it: between slashes. Fluent Bit strips
 * one pair of enclosing slashes (src/flb_regex.c, str_to_regex), so the pattern
 * inside is compiled exactly as given, whatever its own first and last characters,
 * and the surrounding whitespace Fluent Bit trims from values
 * (src/config_format/flb_config_format.c) is inside the slashes, kept.
 */
function wrappedRegex(value: string, problem: (text: string, fix: string) => never): string {
  const valueProblem = typeof value === 'string' ? yamlValueProblem(`/${value}/`) : 'the value is not a string';
  if (valueProblem !== undefined) problem(`: ${valueProblem}`, ONE_LINE_FIX);
  if (value.length === 0) problem(' is empty', REGEX_FIX);
  checkRegex(value, text => problem(` ${text}`, REGEX_FIX));
  return `/${value}/`;
}

const REGEX_FIX = 'pass a regular expression in Ruby (Onigmo) syntax with balanced groups and character classes';

/**
 * The structural checks of a regular expression that can be made without
 * Onigmo: every '(' closed, every '[' closed, no dangling '\' at the end. A regex
 * that passes may still be refused by Onigmo at start (Fluent Bit then logs
 * "error creating rule" and exits).
 */
function checkRegex(regex: string, problem: (text: string) => never): void {
  let depth = 0;
  let inClass = 0;
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i];
    if (ch === '\\') {
      if (i === regex.length - 1) problem(`${shown(regex)} ends with a lone '\\'`);
      i++;
      continue;
    }
    if (inClass > 0) {
      if (ch === '[') inClass++;
      else if (ch === ']') inClass--;
      continue;
    }
    if (ch === '[') {
      inClass = 1;
      // A ']' right after '[' or '[^' is a literal.
      if (regex[i + 1] === '^') i++;
      if (regex[i + 1] === ']') i++;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      if (depth === 0) problem(`${shown(regex)} closes a group that was never opened`);
      depth--;
    }
  }
  if (inClass > 0) problem(`${shown(regex)} has an unclosed '['`);
  if (depth > 0) problem(`${shown(regex)} has an unclosed '('`);
}
