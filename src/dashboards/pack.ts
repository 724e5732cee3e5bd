/**
 * Dashboard packs: the panels one kind of sidecar brings to `SidecarDashboards`. Each
 * named sidecar owns its pack (next to its code); a `Sidecar` of your own can bring a
 * pack made with `DashboardPack.custom()`. The engine knows no kind: it renders one
 * dashboard per pack present, plus the overview every sidecar is on.
 */

/**
 * The unit of a panel's values (Grafana's unit ids).
 */
export enum DashboardUnit {
  /** A plain number. */
  NUMBER = 'short',
  /** Events per second (records, samples, calls). */
  PER_SECOND = 'ops',
  /** Requests per second. */
  REQUESTS_PER_SECOND = 'reqps',
  /** A share between 0 and 1, shown as a percentage. */
  RATIO = 'percentunit',
  /** Bytes. */
  BYTES = 'bytes',
  /** Seconds. */
  SECONDS = 's',
  /** Milliseconds. */
  MILLISECONDS = 'ms',
}

/**
 * How a panel shows its queries.
 */
export enum DashboardPanelType {
  /** Lines over time. */
  TIME_SERIES = 'TIME_SERIES',
  /** One big number per series: the latest value. */
  STAT = 'STAT',
}

/**
 * One query of a panel.
 */
export interface DashboardQuery {
  /**
   * The PromQL expression. Write `$sidecar` inside each selector of the sidecar's
   * metrics: it becomes the pack's exact container names and the dashboard's
   * namespace and pod variables, e.g.
   * `sum by (pod) (rate(rclone_errors_total{$sidecar}[$__rate_interval]))`.
   * Grafana's `$__rate_interval`, `$__interval` and `$__range` may stand for a range.
   * Checked with Prometheus's grammar at synth.
   */
  readonly expr: string;

  /**
   * The legend of each series, with Grafana's `{{label}}` templating.
   *
   * @default '{{pod}}'
   */
  readonly legend?: string;
}

/**
 * One panel of a dashboard pack.
 */
export interface DashboardPanel {
  /**
   * The panel title, unique in the pack.
   */
  readonly title: string;

  /**
   * The queries (at least one), each a line or a number of the panel.
   */
  readonly queries: DashboardQuery[];

  /**
   * What the panel shows, for the on-call engineer (the panel's info tooltip).
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * The unit of the values.
   *
   * @default DashboardUnit.NUMBER
   */
  readonly unit?: DashboardUnit;

  /**
   * How the panel shows its queries.
   *
   * @default DashboardPanelType.TIME_SERIES
   */
  readonly type?: DashboardPanelType;

  /**
   * The row (a titled section of the dashboard) the panel is in; rows keep the order
   * of their first panel.
   *
   * @default - the pack's title
   */
  readonly row?: string;
}

/**
 * A dashboard pack of your own.
 */
export interface DashboardPackProps {
  /**
   * The dashboard's title (after the dashboards' title prefix), e.g. 'rclone'.
   */
  readonly title: string;

  /**
   * The panels, in order (at least one).
   */
  readonly panels: DashboardPanel[];

  /**
   * What the dashboard is for.
   *
   * @default - none
   */
  readonly description?: string;
}

/**
 * The dashboard one kind of sidecar brings to `SidecarDashboards`.
 *
 * A pack is checked when a `SidecarDashboards` in scope renders it (its name a DNS
 * label, every panel titled, with queries that use `$sidecar` and parse as PromQL);
 * mistakes fail synthesis with a `DASHBOARD_*` code.
 */
export class DashboardPack {
  /**
   * A pack of your own, for a `Sidecar` running a tool the library does not know.
   *
   * @param name the pack's name, a DNS label (its dashboard's uid and ConfigMap derive from it)
   * @param props the title and panels
   */
  public static custom(name: string, props: DashboardPackProps): DashboardPack {
    return new DashboardPack(name, props);
  }

  /** The pack's name. */
  public readonly name: string;

  /** The dashboard's title. */
  public readonly title: string;

  /** What the dashboard is for. */
  public readonly description?: string;

  /** @internal */
  public readonly _panels: DashboardPanel[];

  private constructor(name: string, props: DashboardPackProps) {
    this.name = name;
    this.title = props?.title;
    this.description = props?.description;
    // A copy: later changes to the caller's arrays do not change the pack.
    this._panels = Array.isArray(props?.panels)
      ? props.panels.map(p => ({ ...p, queries: Array.isArray(p?.queries) ? [...p.queries] : p?.queries }))
      : [];
  }

  /** The titles of the pack's panels. */
  public get panelTitles(): string[] {
    return this._panels.map(p => p.title);
  }
}
