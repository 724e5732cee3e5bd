import * as YAML from 'yaml';

/**
 * An independent reader of Fluent Bit's YAML configuration, for the tests: the
 * `yaml` package (failsafe schema: every scalar a string, as libyaml hands them to
 * Fluent Bit; duplicate keys refused) plus the structure Fluent Bit's reader
 * expects (src/config_format/flb_cf_yaml.c at v5.1.1): the top-level sections it
 * knows, `pipeline` with `inputs`/`filters`/`outputs`, each a sequence of plugins
 * whose values are scalars or sequences of scalars, and multiline parsers whose
 * `rules` are mappings of exactly `state`, `regex`, `next_state`
 * (src/flb_parser.c, multiline_load_regex_rules). Nothing here uses the library's
 * renderer.
 */

/** A plugin or parser: its keys (lower case, in order) and values. */
export type Props = Array<[string, string | string[]]>;

export interface FlbConfig {
  readonly topLevel: string[];
  readonly service: Props;
  readonly parsers: Props[];
  readonly multilineParsers: Array<{ readonly props: Props; readonly rules: Array<{ state: string; regex: string; next_state: string }> }>;
  readonly inputs: Props[];
  readonly filters: Props[];
  readonly outputs: Props[];
}

/** The top-level keys Fluent Bit's YAML reader knows (flb_cf_yaml.c:1726-1811). */
const TOP_LEVEL = ['env', 'includes', 'service', 'pipeline', 'customs', 'parsers', 'multiline_parsers', 'plugins', 'upstream_servers', 'stream_processor', 'extensions'];

function fail(message: string): never {
  throw new Error(`not a Fluent Bit YAML configuration: ${message}`);
}

function isMap(n: unknown): n is YAML.YAMLMap {
  return YAML.isMap(n);
}

function scalar(n: unknown, where: string): string {
  if (!YAML.isScalar(n) || typeof n.value !== 'string') fail(`${where} is not a scalar`);
  return n.value as string;
}

/** A mapping whose values are scalars or sequences of scalars. */
function props(n: unknown, where: string, allowNested: string[] = []): Props {
  if (!isMap(n)) fail(`${where} is not a mapping`);
  const out: Props = [];
  for (const pair of n.items) {
    const key = scalar(pair.key, `a key of ${where}`);
    if (allowNested.includes(key)) continue;
    if (YAML.isSeq(pair.value)) {
      out.push([key.toLowerCase(), pair.value.items.map((item, i) => scalar(item, `${where}.${key}[${i}]`))]);
    } else {
      out.push([key.toLowerCase(), scalar(pair.value, `${where}.${key}`)]);
    }
  }
  const keys = out.map(([k]) => k);
  if (new Set(keys).size !== keys.length) fail(`${where} repeats a key in another letter case`);
  return out;
}

function seq(n: unknown, where: string): unknown[] {
  if (!YAML.isSeq(n)) fail(`${where} is not a sequence`);
  return n.items;
}

/** Parses `text` and checks Fluent Bit's structure. */
export function readFlbYaml(text: string): FlbConfig {
  const doc = YAML.parseDocument(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) fail(doc.errors.map(e => e.message).join('; '));
  if (!isMap(doc.contents)) fail('the document is not a mapping');
  const top = new Map<string, unknown>();
  for (const pair of doc.contents.items) {
    const key = scalar(pair.key, 'a top-level key');
    if (!TOP_LEVEL.includes(key)) fail(`unknown top-level key '${key}'`);
    top.set(key, pair.value);
  }
  const pipeline = top.get('pipeline');
  const sections = new Map<string, unknown>();
  if (pipeline !== undefined) {
    if (!isMap(pipeline)) fail('pipeline is not a mapping');
    for (const pair of pipeline.items) {
      const key = scalar(pair.key, 'a pipeline key');
      if (!['inputs', 'filters', 'outputs'].includes(key)) fail(`unknown pipeline key '${key}'`);
      sections.set(key, pair.value);
    }
  }
  const plugins = (key: string): Props[] => {
    const list = sections.get(key);
    if (list === undefined) return [];
    return seq(list, `pipeline.${key}`).map((p, i) => {
      const out = props(p, `pipeline.${key}[${i}]`);
      if (!out.some(([k, v]) => k === 'name' && typeof v === 'string')) fail(`pipeline.${key}[${i}] has no name`);
      return out;
    });
  };
  const multilineParsers = top.get('multiline_parsers') === undefined ? [] : seq(top.get('multiline_parsers'), 'multiline_parsers').map((p, i) => {
    const where = `multiline_parsers[${i}]`;
    if (!isMap(p)) fail(`${where} is not a mapping`);
    const rulesNode = p.get('rules', true);
    const rules = rulesNode === undefined ? [] : seq(rulesNode, `${where}.rules`).map((r, j) => {
      const rule = props(r, `${where}.rules[${j}]`);
      const keys = rule.map(([k]) => k).sort();
      if (keys.join(',') !== 'next_state,regex,state') fail(`${where}.rules[${j}] has the keys ${keys.join(', ')}`);
      const get = (k: string) => rule.find(([key]) => key === k)![1] as string;
      return { state: get('state'), regex: get('regex'), next_state: get('next_state') };
    });
    return { props: props(p, where, ['rules']), rules };
  });
  return {
    topLevel: [...top.keys()],
    service: top.get('service') === undefined ? [] : props(top.get('service'), 'service'),
    parsers: top.get('parsers') === undefined ? [] : seq(top.get('parsers'), 'parsers').map((p, i) => props(p, `parsers[${i}]`)),
    multilineParsers,
    inputs: plugins('inputs'),
    filters: plugins('filters'),
    outputs: plugins('outputs'),
  };
}

/** The value of `key` in `p`. */
export function prop(p: Props, key: string): string | string[] | undefined {
  return p.find(([k]) => k === key)?.[1];
}

/**
 * The property names Fluent Bit 5.1.1 accepts, per plugin, with where they are
 * defined at tag v5.1.1 (commit 6315162a). An unknown property makes Fluent Bit
 * refuse to start (`unknown configuration property`). Keys compare
 * case-insensitively, as Fluent Bit's do (src/flb_config.c:780 prop_key_check,
 * src/flb_config_map.c).
 */
export const KNOWN_KEYS: { [section: string]: { [key: string]: string } } = {
  'service': {
    'flush': 'include/fluent-bit/flb_config.h:398',
    'grace': 'include/fluent-bit/flb_config.h:407',
    'daemon': 'include/fluent-bit/flb_config.h:408',
    'log_level': 'include/fluent-bit/flb_config.h:410',
    'http_server': 'include/fluent-bit/flb_config.h:420',
    'http_listen': 'include/fluent-bit/flb_config.h:421',
    'http_port': 'include/fluent-bit/flb_config.h:422',
    'health_check': 'include/fluent-bit/flb_config.h:423',
    'storage.path': 'include/fluent-bit/flb_config.h:447',
    'storage.sync': 'include/fluent-bit/flb_config.h:448',
    'storage.metrics': 'include/fluent-bit/flb_config.h:449',
    'storage.checksum': 'include/fluent-bit/flb_config.h:450',
    'storage.backlog.mem_limit': 'include/fluent-bit/flb_config.h:451',
    'storage.max_chunks_up': 'include/fluent-bit/flb_config.h:454',
    'storage.delete_irrecoverable_chunks': 'include/fluent-bit/flb_config.h:455',
  },
  'parser': {
    name: 'src/flb_parser.c:1254',
    format: 'src/flb_parser.c:1261',
    regex: 'src/flb_parser.c:1269',
    time_format: 'src/flb_parser.c:1285',
    time_key: 'src/flb_parser.c:1288',
    time_keep: 'src/flb_parser.c:1292',
  },
  'multiline_parser': {
    name: 'src/flb_parser.c:1595',
    type: 'src/flb_parser.c:1602',
    flush_timeout: 'src/flb_parser.c:1639',
  },
  // Every input: src/flb_input.c (flb_input_set_property).
  'input': {
    'name': 'src/flb_config.c (the plugin selector)',
    'tag': 'src/flb_input.c:824',
    'mem_buf_limit': 'src/flb_input.c:852',
    'storage.type': 'src/flb_input.c:965',
  },
  'input tail': {
    'path': 'plugins/in_tail/tail.c:568',
    'read_from_head': 'plugins/in_tail/tail.c:587',
    'refresh_interval': 'plugins/in_tail/tail.c:599',
    'skip_long_lines': 'plugins/in_tail/tail.c:701',
    'db': 'plugins/in_tail/tail.c:764',
    'db.locking': 'plugins/in_tail/tail.c:774',
    'multiline.parser': 'plugins/in_tail/tail.c:827',
  },
  'filter': {
    name: 'src/flb_config.c (the plugin selector)',
    match: 'src/flb_filter.c:352',
  },
  'filter parser': {
    key_name: 'plugins/filter_parser/filter_parser.c:462',
    parser: 'plugins/filter_parser/filter_parser.c:467',
    reserve_data: 'plugins/filter_parser/filter_parser.c:478',
  },
  'filter modify': {
    add: 'plugins/filter_modify/modify.c:1597',
  },
  // Every output: src/flb_output.c (flb_output_set_property); host, port and tls for
  // the plugins with FLB_OUTPUT_NET / FLB_IO_OPT_TLS only (listed per plugin below).
  'output': {
    'name': 'src/flb_config.c (the plugin selector)',
    'match': 'src/flb_output.c:956',
    'alias': 'src/flb_output.c:965',
    'retry_limit': 'src/flb_output.c:1000',
    'storage.total_limit_size': 'src/flb_output.c:1154',
  },
  'output net': {
    'host': 'src/flb_output.c:984',
    'port': 'src/flb_output.c:987',
    'tls': 'src/flb_output.c:1079',
    'tls.verify': 'src/flb_output.c:1088',
    'net.keepalive': 'src/flb_upstream.c:63',
  },
  'output forward': {},
  'output null': {},
  'output stdout': { format: 'plugins/out_stdout/stdout.c:447' },
  'output es': {
    index: 'plugins/out_es/es.c:1578',
    suppress_type_name: 'plugins/out_es/es.c:1588',
    http_user: 'plugins/out_es/es.c:1595',
    http_passwd: 'plugins/out_es/es.c:1600',
    logstash_format: 'plugins/out_es/es.c:1676',
    logstash_prefix: 'plugins/out_es/es.c:1681',
  },
  'output loki': {
    tenant_id: 'plugins/out_loki/loki.c:2265',
    labels: 'plugins/out_loki/loki.c:2288',
    line_format: 'plugins/out_loki/loki.c:2333',
    http_user: 'plugins/out_loki/loki.c:2349',
    http_passwd: 'plugins/out_loki/loki.c:2355',
  },
  'output http': {
    http_user: 'plugins/out_http/http.c:717',
    http_passwd: 'plugins/out_http/http.c:722',
    format: 'plugins/out_http/http.c:837',
    header: 'plugins/out_http/http.c:857',
    uri: 'plugins/out_http/http.c:862',
  },
  'output opentelemetry': {
    http_user: 'plugins/out_opentelemetry/opentelemetry.c:1081',
    http_passwd: 'plugins/out_opentelemetry/opentelemetry.c:1086',
    header: 'plugins/out_opentelemetry/opentelemetry.c:1106',
    compress: 'plugins/out_opentelemetry/opentelemetry.c:1127',
    logs_uri: 'plugins/out_opentelemetry/opentelemetry.c:1149',
  },
  'output cloudwatch_logs': {
    region: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:587',
    log_group_name: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:593',
    log_stream_name: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:599',
    log_stream_prefix: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:605',
    role_arn: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:653',
    auto_create_group: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:659',
    log_retention_days: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:676',
    endpoint: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:684',
    sts_endpoint: 'plugins/out_cloudwatch_logs/cloudwatch_logs.c:690',
  },
  'output s3': {
    total_file_size: 'plugins/out_s3/s3.c:4472',
    upload_timeout: 'plugins/out_s3/s3.c:4490',
    bucket: 'plugins/out_s3/s3.c:4498',
    region: 'plugins/out_s3/s3.c:4503',
    role_arn: 'plugins/out_s3/s3.c:4508',
    endpoint: 'plugins/out_s3/s3.c:4513',
    sts_endpoint: 'plugins/out_s3/s3.c:4518',
    compression: 'plugins/out_s3/s3.c:4528',
    store_dir: 'plugins/out_s3/s3.c:4543',
    store_dir_limit_size: 'plugins/out_s3/s3.c:4551',
    s3_key_format: 'plugins/out_s3/s3.c:4567',
  },
};

/** Output plugins with FLB_OUTPUT_NET (host, port) and TLS options (their `.flags`). */
const NET_OUTPUTS = ['forward', 'es', 'loki', 'http', 'opentelemetry'];

/**
 * Every key of `config` that Fluent Bit 5.1.1 does not know for its plugin, as
 * `<section> <plugin>: <key>`. Plugins not in KNOWN_KEYS (a `custom()` one) are
 * skipped: their properties are the user's.
 */
export function unknownKeys(config: FlbConfig): string[] {
  const out: string[] = [];
  const check = (where: string, keys: string[], ...sections: string[]) => {
    const known = Object.assign({}, ...sections.map(s => KNOWN_KEYS[s]));
    for (const k of keys) if (!(k in known)) out.push(`${where}: ${k}`);
  };
  check('service', config.service.map(([k]) => k), 'service');
  config.parsers.forEach(p => check('parser', p.map(([k]) => k), 'parser'));
  config.multilineParsers.forEach(p => check('multiline_parser', p.props.map(([k]) => k), 'multiline_parser'));
  for (const [kind, list] of [['input', config.inputs], ['filter', config.filters], ['output', config.outputs]] as const) {
    for (const p of list) {
      const plugin = prop(p, 'name') as string;
      if (KNOWN_KEYS[`${kind} ${plugin}`] === undefined) continue;
      const sections = [kind, `${kind} ${plugin}`, ...(kind === 'output' && NET_OUTPUTS.includes(plugin) ? ['output net'] : [])];
      check(`${kind} ${plugin}`, p.map(([k]) => k), ...sections);
    }
  }
  return out;
}
