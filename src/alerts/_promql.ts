/**
 * Internal: PromQL syntax checks with Prometheus's own grammar (lezer-promql): the alert
 * expressions users write, and every dashboard query. Nothing here is exported from the package.
 */

/** The grammar, loaded the first time an expression is checked. */
let grammar: { parse(text: string): any } | undefined;

// An app with thousands of pods renders the same few expressions again and again:
// each distinct expression is parsed once per process.
const verdicts = new Map<string, string | undefined>();

/**
 * Why `expr` is not valid PromQL (with the position of the first error), or
 * undefined when it parses.
 */
export function promqlProblem(expr: string): string | undefined {
  if (verdicts.has(expr)) {
    return verdicts.get(expr);
  }
  const problem = check(expr);
  verdicts.set(expr, problem);
  return problem;
}

function check(expr: string): string | undefined {
  if (expr.trim() === '') {
    return 'the expression is empty';
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  grammar ??= require('@prometheus-io/lezer-promql').parser as { parse(text: string): any };
  const tree = grammar.parse(expr);
  let at: number | undefined;
  tree.iterate({
    enter: (node: { type: { isError: boolean }; from: number }) => {
      if (at !== undefined) return false;
      if (node.type.isError) {
        at = node.from;
        return false;
      }
      return undefined;
    },
  });
  if (at === undefined) {
    return undefined;
  }
  const line = expr.slice(0, at).split('\n').length;
  const near = expr.slice(at, at + 20).split('\n')[0];
  return `the expression is not valid PromQL: syntax error at line ${line}, character ${at + 1}${near ? ` (near '${near}')` : ' (at the end)'}`;
}
