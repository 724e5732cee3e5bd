/**
 * Vault Agent's own reading of its config: HCL 1. The agent parses the file with
 * github.com/hashicorp/hcl (v1; `hcl.Parse`, then `hcl.DecodeObject`, in
 * command/agent/config/config.go), which js-hcl-parser compiles to JavaScript with GopherJS
 * and decodes into plain values the way DecodeObject fills an interface{}: every block, and
 * every map attribute, becomes a list of objects; a labelled block `a "l" { ... }` becomes
 * `a: [{ l: [{ ... }] }]`.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse } = require('js-hcl-parser');

/** The config as HCL 1 decodes it; throws with the parser's message when it cannot. */
export function decodeHcl1(text: string): any {
  const out: string = parse(text);
  if (out.startsWith('unable to ')) throw new Error(`HCL 1: ${out}`);
  return JSON.parse(out);
}

/**
 * hcl2json's decoding of a config in HCL 1's shape, to compare the two: an object value (a
 * map attribute, or hcl2json's `{ label: [bodies] }` of labelled blocks) becomes a list, a
 * labelled block one entry per body.
 */
export function inHcl1Shape(value: any): any {
  if (Array.isArray(value)) return value.map(inHcl1Shape);
  if (value === null || typeof value !== 'object') return value;
  const out: any = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      out[key] = inHcl1Shape(v);
    } else if (isLabelled(v)) {
      out[key] = Object.entries(v).flatMap(([label, bodies]) => (bodies as any[]).map(b => ({ [label]: [inHcl1Shape(b)] })));
    } else {
      out[key] = [inHcl1Shape(v)];
    }
  }
  return out;
}

/** hcl2json's labelled blocks: every value a list of objects. */
function isLabelled(v: object): boolean {
  const values = Object.values(v);
  return values.length > 0 && values.every(x => Array.isArray(x) && x.length > 0 && x.every(b => b !== null && typeof b === 'object' && !Array.isArray(b)));
}
