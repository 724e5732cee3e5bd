import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DashTarget, overviewRows, containerRow, RowSpec, PanelSpec, RANGE_MACROS, selector, SIDECAR, variableQuery } from './_panels';
import type { DashboardInput } from './_render';
import { DashboardPack, DashboardPanelType, DashboardUnit } from './pack';
import { promqlProblem } from '../alerts/_promql';
import { groupByPack, namespaceProblems, sidecarsIn, targetOf } from '../alerts/_targets';
import { Checks, isDnsLabel, isLabelValue, isQualifiedName } from '../core/checks';
import { errorMessage, Fail, failFor } from '../core/errors';
import { Sidecar } from '../core/sidecar';

/**
 * Properties of SidecarDashboards.
 */
export interface SidecarDashboardsProps {
  /**
   * The label the Grafana sidecar of kube-prometheus-stack discovers dashboard
   * ConfigMaps by (`grafana.sidecar.dashboards.label`).
   *
   * @default 'grafana_dashboard'
   */
  readonly label?: string;

  /**
   * The value of that label (`grafana.sidecar.dashboards.labelValue`).
   *
   * @default '1'
   */
  readonly labelValue?: string;

  /**
   * More labels on every ConfigMap.
   *
   * @default - none
   */
  readonly labels?: { [name: string]: string };

  /**
   * The Grafana folder of the dashboards, set as the annotation `folderAnnotation`
   * (the Grafana chart's `sidecar.dashboards.folderAnnotation`, with
   * `provider.foldersFromFilesStructure: true`).
   *
   * @default - no annotation: the folder the Grafana sidecar is configured with
   */
  readonly folder?: string;

  /**
   * The annotation that carries `folder`.
   *
   * @default 'grafana_folder'
   */
  readonly folderAnnotation?: string;

  /**
   * The namespace of the ConfigMaps: the one Grafana's sidecar watches
   * (`sidecar.dashboards.searchNamespace`; `ALL` watches every namespace).
   *
   * @default - the chart's namespace
   */
  readonly namespace?: string;

  /**
   * The start of every dashboard's title; titles must be unique in a Grafana folder.
   *
   * @default - 'Sidecars' and the scope's path, e.g. 'Sidecars: shop'
   */
  readonly titlePrefix?: string;

  /**
   * Tags of every dashboard (they also link the dashboards to each other).
   *
   * @default ['sidecars']
   */
  readonly tags?: string[];

  /**
   * How often the dashboards refresh.
   *
   * @default Duration.minutes(1)
   */
  readonly refresh?: Duration;

  /**
   * The time range the dashboards open with (the last ...).
   *
   * @default Duration.hours(6)
   */
  readonly timeRange?: Duration;
}

/** One dashboard, ready to render. */
interface DashboardModel {
  readonly key: string;
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: RowSpec[];
  readonly targets: DashTarget[];
}

interface Model {
  readonly dashboards: DashboardModel[];
  readonly problems: string[];
}

/**
 * Grafana dashboards for every sidecar in a scope (the chart or app it is created in,
 * like SidecarAlerts): an overview of every sidecar (restarts, readiness, waiting and
 * termination reasons, CPU and memory against requests and limits, throttling, pod
 * start times) and one dashboard per sidecar kind present (the `DashboardPack` each
 * sidecar brings), each with namespace and pod variables and queries that match the
 * exact container names of the sidecars.
 *
 * Each dashboard is a ConfigMap labelled for the Grafana sidecar of kube-prometheus-stack
 * (`grafana_dashboard: "1"` by default). The sidecars are collected at synth, so sidecars
 * created after SidecarDashboards count. Every query is checked with Prometheus's grammar
 * at synth. The panels read kube-state-metrics 2.11+, the kubelet's cAdvisor metrics, and
 * the sidecars' own metrics that SidecarAlerts' PodMonitor scrapes.
 */
export class SidecarDashboards extends Construct {
  private readonly labels: { [name: string]: string };
  private readonly annotations: { [name: string]: string };
  private readonly namespace?: string;
  private readonly titlePrefix: string;
  private readonly tags: string[];
  private readonly refreshSeconds: number;
  private readonly rangeSeconds: number;
  private model?: Model;
  private readonly configMaps: kplus.ConfigMap[] = [];

  public constructor(scope: Construct, id: string, props: SidecarDashboardsProps = {}) {
    super(scope, id);
    const fail = this.failer();
    const label = props.label ?? 'grafana_dashboard';
    const labelValue = props.labelValue ?? '1';
    this.labels = { ...props.labels, [label]: labelValue };
    for (const [key, value] of Object.entries(this.labels)) {
      if (!isQualifiedName(key)) {
        fail('DASHBOARD_LABEL_INVALID', `label name '${key}' is not a valid Kubernetes label key`, 'use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\'');
      }
      if (!isLabelValue(value)) {
        fail('DASHBOARD_LABEL_INVALID', `the value of label '${key}' is not a valid Kubernetes label value`, 'use at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit');
      }
    }
    const folderAnnotation = props.folderAnnotation ?? 'grafana_folder';
    if (!isQualifiedName(folderAnnotation)) {
      fail('DASHBOARD_FOLDER_INVALID', `folder annotation '${folderAnnotation}' is not a valid annotation key`, 'use an optional DNS prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' and \'.\'');
    }
    if (props.folder !== undefined && (typeof props.folder !== 'string' || props.folder.trim() === '' || /[\n\r]/.test(props.folder))) {
      fail('DASHBOARD_FOLDER_INVALID', `folder ${JSON.stringify(props.folder)} is not a one-line folder name`, 'pass the Grafana folder name, e.g. \'Sidecars\', or leave \'folder\' out');
    }
    this.annotations = props.folder === undefined ? {} : { [folderAnnotation]: props.folder };
    if (props.namespace !== undefined && !isDnsLabel(props.namespace)) {
      fail('DASHBOARD_NAMESPACE_INVALID', `namespace ${JSON.stringify(props.namespace)} is not a valid namespace name`, 'pass the namespace Grafana\'s dashboard sidecar watches, a DNS label such as \'monitoring\'');
    }
    this.namespace = props.namespace;
    const scopePath = this.node.scope!.node.path;
    this.titlePrefix = props.titlePrefix ?? (scopePath === '' ? 'Sidecars' : `Sidecars: ${scopePath}`);
    if (typeof this.titlePrefix !== 'string' || this.titlePrefix.trim() === '' || /[\n\r]/.test(this.titlePrefix)) {
      fail('DASHBOARD_TITLE_INVALID', `title prefix ${JSON.stringify(props.titlePrefix)} is not a one-line title`, 'pass a short title such as \'Shop sidecars\', or leave \'titlePrefix\' out');
    }
    this.tags = [...(props.tags ?? ['sidecars'])];
    for (const tag of this.tags) {
      if (typeof tag !== 'string' || tag.trim() === '' || tag.length > 50 || /[\n\r]/.test(tag)) {
        fail('DASHBOARD_TITLE_INVALID', `tag ${JSON.stringify(tag)} is not a one-line tag of at most 50 characters`, 'pass short tags such as \'sidecars\'');
      }
    }
    const checks = new Checks(fail);
    this.refreshSeconds = checks.seconds('refresh', props.refresh ?? Duration.minutes(1), 5);
    this.rangeSeconds = checks.seconds('timeRange', props.timeRange ?? Duration.hours(6), 60);

    this.node.addValidation({
      validate: () => {
        const model = this.compute();
        if (model.problems.length > 0) return model.problems;
        this.materialize(model);
        return [];
      },
    });
  }

  /**
   * The dashboards' JSON models, by file name (`<uid>.json`), as the ConfigMaps carry
   * them. The sidecars are collected when this is first called (or at synth).
   */
  public renderDashboards(): { [file: string]: any } {
    const model = this.compute();
    if (model.problems.length > 0) throw new Error(model.problems.join('\n'));
    const out: { [file: string]: any } = {};
    for (const d of model.dashboards) out[`${d.uid}.json`] = this.render(d, model);
    return out;
  }

  private materialize(model: Model) {
    if (this.configMaps.length > 0) return;
    for (const d of model.dashboards) {
      this.configMaps.push(new kplus.ConfigMap(this, `Dashboard-${d.key}`, {
        metadata: { labels: { ...this.labels }, annotations: { ...this.annotations }, namespace: this.namespace },
        data: { [`${d.uid}.json`]: JSON.stringify(this.render(d, model), undefined, 2) },
      }));
    }
  }

  private render(d: DashboardModel, model: Model): any {
    return renderDashboard({
      uid: d.uid,
      title: d.title,
      description: d.description,
      tags: this.tags,
      refreshSeconds: this.refreshSeconds,
      rangeSeconds: this.rangeSeconds,
      rows: d.rows,
      namespaceVariable: variableQuery(d.targets, 'namespace'),
      podVariable: variableQuery(d.targets, 'pod'),
      linkTag: model.dashboards.length > 1 ? this.linkTag() : undefined,
    });
  }

  /** The tag every dashboard of this construct has, so that they link to each other. */
  private linkTag(): string {
    return `sidecars-${hash(this.node.path)}`;
  }

  private compute(): Model {
    if (this.model !== undefined) return this.model;
    const sidecars = sidecarsIn(this.node.scope!);
    const problems: string[] = [];
    if (sidecars.length === 0) {
      problems.push(this.message('NO_SIDECARS', undefined, `there is no sidecar in scope '${this.node.scope!.node.path}'`, 'create SidecarDashboards in the chart (or app) that holds the sidecars'));
    }
    problems.push(...namespaceProblems(sidecars, (code, problem, fix) => this.message(code, undefined, problem, fix)));

    // The packs present, each with its sidecars; a pack's dashboard shows only the
    // sidecars Prometheus scrapes (its panels read their own metrics).
    const packs = groupByPack(sidecars, s => s.dashboardPack, (s, pack) => {
      problems.push(this.message('DASHBOARD_PACK_INVALID', s.name, `two different dashboard packs are named '${pack.name}' (one of them on the sidecar of workload '${s.workload.node.path}')`,
        'give each dashboard pack its own name, or pass the same DashboardPack object to every sidecar of that kind'));
    });

    const dashboards: DashboardModel[] = [];
    if (sidecars.length > 0) {
      const targets = sidecars.map(targetOf);
      dashboards.push({
        key: 'overview',
        uid: this.uid('overview'),
        title: `${this.titlePrefix} / Overview`,
        description: 'Every sidecar: health, CPU and memory against requests and limits, throttling, pod start times.',
        rows: overviewRows(targets),
        targets,
      });
    }
    for (const { pack, sidecars: withPack } of packs) {
      const rows = this.packRows(pack, withPack[0], problems);
      if (rows === undefined) continue;
      const targets = withPack.map(targetOf);
      const scraped = targets.filter(t => t.scraped);
      dashboards.push({
        key: pack.name,
        uid: this.uid(pack.name),
        title: `${this.titlePrefix} / ${pack.title}`,
        description: pack.description ?? `The ${pack.title} sidecars.`,
        rows: [containerRow(targets), ...(scraped.length > 0 ? rows(scraped) : [])],
        targets,
      });
    }

    for (const d of dashboards) {
      for (const row of d.rows) {
        for (const p of row.panels) {
          p.queries.forEach((query, i) => {
            const problem = promqlProblem(query.expr.replace(RANGE_MACROS, '5m'));
            if (problem !== undefined) {
              problems.push(this.message('DASHBOARD_PROMQL_INVALID', undefined, `dashboard '${d.key}', panel '${p.title}', query ${i + 1}: ${problem}`,
                'correct the query (check it in the Prometheus expression browser, with Grafana\'s $__rate_interval replaced by a range such as 5m)'));
            }
          });
        }
      }
    }
    this.model = { dashboards, problems };
    return this.model;
  }

  /** The rows of a pack, as a function of its (scraped) sidecars; undefined after a problem. */
  private packRows(pack: DashboardPack, first: Sidecar, problems: string[]): ((targets: DashTarget[]) => RowSpec[]) | undefined {
    const before = problems.length;
    const packProblem = (problem: string, fix: string) =>
      problems.push(this.message('DASHBOARD_PACK_INVALID', first.name, `dashboard pack ${JSON.stringify(pack.name)}: ${problem}`, fix));
    const panelProblem = (panel: string, problem: string, fix: string) =>
      problems.push(this.message('DASHBOARD_PANEL_INVALID', first.name, `dashboard pack '${pack.name}', panel ${JSON.stringify(panel)}: ${problem}`, fix));
    if (!isDnsLabel(pack.name)) {
      packProblem('the name is not a DNS label', 'name the pack with lower-case letters, digits and \'-\', at most 63 characters');
    }
    if (typeof pack.title !== 'string' || pack.title.trim() === '' || /[\n\r]/.test(pack.title)) {
      packProblem('the title is not a one-line title', 'give the pack a short title such as \'rclone\'');
    }
    if (pack._panels.length === 0) {
      packProblem('the pack has no panels', 'pass at least one panel');
    }
    const seen = new Set<string>();
    pack._panels.forEach((p, i) => {
      const name = typeof p?.title === 'string' ? p.title : `#${i + 1}`;
      if (typeof p?.title !== 'string' || p.title.trim() === '' || /[\n\r]/.test(p.title)) {
        panelProblem(name, 'the panel has no one-line title', 'give every panel a short title');
      } else if (seen.has(p.title)) {
        panelProblem(name, 'two panels have this title', 'give every panel of the pack its own title');
      }
      seen.add(p?.title);
      if (!Array.isArray(p?.queries) || p.queries.length === 0) {
        panelProblem(name, 'the panel has no queries', 'pass at least one query');
      } else {
        p.queries.forEach((query, j) => {
          if (typeof query?.expr !== 'string' || !query.expr.includes(SIDECAR)) {
            panelProblem(name, `query ${j + 1} does not use $sidecar, so it would show every container, not the pack's sidecars`,
              'write $sidecar inside the selectors of the sidecar\'s metrics, e.g. rate(my_errors_total{$sidecar}[$__rate_interval])');
          }
        });
      }
      if (p?.unit !== undefined && !Object.values(DashboardUnit).includes(p.unit)) {
        panelProblem(name, `unit ${JSON.stringify(p.unit)} is not one of the DashboardUnit values`, `pass one of ${Object.keys(DashboardUnit).map(k => `DashboardUnit.${k}`).join(', ')}`);
      }
      if (p?.type !== undefined && !Object.values(DashboardPanelType).includes(p.type)) {
        panelProblem(name, `type ${JSON.stringify(p.type)} is not one of the DashboardPanelType values`, 'pass DashboardPanelType.TIME_SERIES or DashboardPanelType.STAT');
      }
      if (p?.row !== undefined && (typeof p.row !== 'string' || p.row.trim() === '' || /[\n\r]/.test(p.row))) {
        panelProblem(name, 'the row is not a one-line title', 'give the row a short title, or leave \'row\' out');
      }
    });
    if (problems.length > before) return undefined;

    return (targets) => {
      const sel = selector(targets);
      const rows: RowSpec[] = [];
      for (const p of pack._panels) {
        const title = p.row ?? pack.title;
        let row = rows.find(r => r.title === title);
        if (row === undefined) {
          row = { title, panels: [] };
          rows.push(row);
        }
        const spec: PanelSpec = {
          title: p.title,
          description: p.description,
          unit: p.unit ?? DashboardUnit.NUMBER,
          type: p.type === DashboardPanelType.STAT ? 'stat' : 'timeseries',
          width: p.type === DashboardPanelType.STAT ? 6 : undefined,
          queries: p.queries.map(query => ({ expr: query.expr.split(SIDECAR).join(sel), legend: query.legend ?? '{{pod}}' })),
        };
        row.panels.push(spec);
      }
      return rows;
    };
  }

  /** A stable uid of at most 40 characters (Grafana's limit). */
  private uid(key: string): string {
    return `sidecars-${key.slice(0, 21)}-${hash(`${this.node.path}/${key}`)}`;
  }

  private message(code: string, sidecar: string | undefined, problem: string, fix: string): string {
    return errorMessage(code, this.subject(sidecar), problem, fix);
  }

  private subject(sidecar?: string) {
    return { noun: 'construct', path: this.node.path, partNoun: sidecar === undefined ? undefined : 'sidecar', part: sidecar };
  }

  private failer(): Fail {
    return failFor(this.subject());
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The dashboard JSON of `input`. Grafana's SDK (hundreds of modules) is loaded the first
 * time a dashboard is rendered, not when the package is imported: an app without
 * dashboards never loads it.
 */
function renderDashboard(input: DashboardInput): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const render: typeof import('./_render') = require('./_render');
  return render.renderDashboard(input);
}
