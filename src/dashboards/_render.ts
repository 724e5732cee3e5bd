import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelSpec, RowSpec } from './_panels';

/**
 * Internal: turns the dashboards' model into Grafana dashboard JSON with Grafana's
 * as-code SDK (@grafana/grafana-foundation-sdk). Nothing here is exported from the
 * package: the SDK's types never reach the public API.
 */

/** Everything one dashboard needs. */
export interface DashboardInput {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: string[];
  readonly refreshSeconds: number;
  readonly rangeSeconds: number;
  readonly rows: RowSpec[];
  readonly namespaceVariable: { readonly query: string; readonly regex?: string };
  readonly podVariable: { readonly query: string; readonly regex?: string };
  /** A tag shared by the dashboards of one SidecarDashboards: they link to each other. */
  readonly linkTag?: string;
}

/** Every panel and variable reads the data source the user picks in `$datasource`. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The dashboard JSON model. */
export function renderDashboard(input: DashboardInput): any {
  const builder = new dashboard.DashboardBuilder(input.title)
    .uid(input.uid)
    .description(input.description)
    .tags(input.linkTag === undefined ? [...input.tags] : [...input.tags, input.linkTag])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh(grafanaDuration(input.refreshSeconds))
    .time({ from: `now-${grafanaDuration(input.rangeSeconds)}`, to: 'now' })
    .timezone('browser')
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('namespace', 'Namespace', input.namespaceVariable))
    .withVariable(variable('pod', 'Pod', input.podVariable).allValue('.+'));
  if (input.linkTag !== undefined) {
    builder.link(new dashboard.DashboardLinkBuilder('Sidecar dashboards')
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags([input.linkTag])
      .asDropdown(true)
      .includeVars(true)
      .keepTime(true));
  }
  let id = 1;
  for (const row of input.rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++));
    for (const p of row.panels) {
      builder.withPanel(panel(p, id++));
    }
  }
  // Plain JSON: the SDK's objects carry helper functions.
  return JSON.parse(JSON.stringify(builder.build()));
}

function variable(name: string, label: string, v: { readonly query: string; readonly regex?: string }): dashboard.QueryVariableBuilder {
  const builder = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(v.query)
    .definition(v.query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
  return v.regex === undefined ? builder : builder.regex(v.regex);
}

function panel(p: PanelSpec, id: number): timeseries.PanelBuilder | stat.PanelBuilder {
  const targets = p.queries.map((q, i) => {
    const target = new prometheus.DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .refId(REF_IDS[i]);
    return p.type === 'stat' ? target.instant() : target.range();
  });
  if (p.type === 'stat') {
    const builder = new stat.PanelBuilder()
      .id(id)
      .title(p.title)
      .datasource(DATASOURCE)
      .unit(p.unit)
      .height(5)
      .span(p.width ?? 6)
      .graphMode(common.BigValueGraphMode.None)
      .colorMode(common.BigValueColorMode.Value)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
      .targets(targets);
    return p.description === undefined ? builder : builder.description(p.description);
  }
  let builder = new timeseries.PanelBuilder()
    .id(id)
    .title(p.title)
    .datasource(DATASOURCE)
    .unit(p.unit)
    .height(8)
    .span(p.width ?? 12)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder()
      .showLegend(true)
      .displayMode(common.LegendDisplayMode.List)
      .placement(common.LegendPlacement.Bottom))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .targets(targets);
  if (p.description !== undefined) builder = builder.description(p.description);
  if (p.min !== undefined) builder = builder.min(p.min);
  if (p.max !== undefined) builder = builder.max(p.max);
  return builder;
}

/** A Grafana duration: `30s`, `5m`, `6h`, `2d`. */
function grafanaDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
