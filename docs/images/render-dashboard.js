#!/usr/bin/env node
/**
 * Renders a generated Grafana dashboard JSON model (a SidecarDashboards ConfigMap's
 * `<uid>.json`) as a static HTML page in Grafana's dark style, for a screenshot:
 *
 *   node docs/images/render-dashboard.js overview.json > /tmp/overview.html
 *   chromium --headless --no-sandbox --hide-scrollbars --window-size=1600,2000 \
 *     --screenshot=docs/images/dashboard-overview.png file:///tmp/overview.html
 *
 * The layout (rows, gridPos), titles, units, legends and the container names come from the
 * JSON; the values are deterministic sample data (there is no Prometheus here), so the
 * picture shows what the dashboard looks like, not a cluster's state.
 */
const fs = require('fs');

const dashboard = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const WIDTH = 1600;
const COL = WIDTH / 24;
const ROW_PX = 30;
const PODS = ['web-7d9c6b5f4-2xkqz', 'web-7d9c6b5f4-8hlmv', 'web-7d9c6b5f4-qw4rt'];
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#37872d'];

let seed = 7;
const random = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The container names a query selects. */
function containersOf(expr) {
  const names = new Set();
  for (const m of expr.matchAll(/container=~?"([^"]+)"/g)) m[1].split('|').forEach(n => names.add(n));
  return [...names];
}

/** A few series of a query: legend and values, shaped by the unit. */
function seriesOf(target, unit, i, panel) {
  const containers = containersOf(target.expr);
  const many = panel.targets.length > 1 ? 2 : 3;
  const legend = target.legendFormat || '{{pod}}';
  const perContainer = legend.includes('{{container}}');
  const out = [];
  const pick = perContainer ? containers.slice(0, many) : [undefined];
  pick.forEach((container, j) => {
    const name = legend.replace('{{pod}}', PODS[j % PODS.length]).replace('{{container}}', container ?? '')
      .replace('{{reason}}', legend.includes('waiting') ? 'PodInitializing' : 'OOMKilled').replace(/\s+/g, ' ').trim();
    const flat = /request|limit/.test(legend);
    let base;
    if (unit === 'bytes') base = flat ? (legend.includes('limit') ? 256 : 64) * 1048576 * (j + 1) : (40 + 30 * j) * 1048576;
    else if (unit === 'percentunit') base = 0.05 + 0.08 * j + (dashboardHint(target) ? 0.4 : 0);
    else if (unit === 's') base = 3 + 2 * j;
    else base = flat ? (legend.includes('limit') ? 0.2 : 0.05) * (j + 1) : 0.02 + 0.03 * j;
    const values = [];
    let v = base;
    for (let x = 0; x < 60; x++) {
      if (/Readiness/.test(panel.title)) v = j === 1 && x > 38 && x < 46 ? 0 : 1;
      else if (/reasons/.test(panel.title)) v = (i === 0 && j === 1 && x > 38 && x < 46) || (i === 1 && j === 1 && x > 45) ? 1 : null;
      else if (/Restarts/.test(panel.title)) v = j === 1 ? (x > 30 ? (x > 50 ? 2 : 1) : 0) : 0;
      else if (!flat) v = Math.max(0, base * (0.8 + 0.4 * random()) + (x > 40 && i === 0 && j === 0 ? base * 0.3 : 0));
      values.push(v);
    }
    out.push({ name, values, dashed: flat });
  });
  return out;
}

function dashboardHint(target) {
  return /working_set/.test(target.expr) && /resource_limits/.test(target.expr);
}

function format(v, unit) {
  if (unit === 'bytes') return `${(v / 1048576).toFixed(0)} MiB`;
  if (unit === 'percentunit') return `${(v * 100).toFixed(0)}%`;
  if (unit === 's') return `${v.toFixed(1)} s`;
  return v >= 10 ? v.toFixed(0) : v.toFixed(2);
}

function timeseries(panel, w, h) {
  const unit = panel.fieldConfig.defaults.unit;
  const series = panel.targets.flatMap((t, i) => seriesOf(t, unit, i, panel)).slice(0, 6);
  const plotW = w - 70;
  const legendPx = series.reduce((n, s) => n + s.name.length * 6.2 + 30, 0);
  const plotH = h - 74 - Math.ceil(legendPx / (w - 24)) * 16;
  let max = panel.fieldConfig.defaults.max ?? Math.max(...series.flatMap(s => s.values).filter(v => v !== null)) * 1.15;
  if (!(max > 0)) max = 1;
  const lines = series.map((s, k) => {
    // A gap (null) splits the line, as Grafana draws a series that is absent for a while.
    const segments = [[]];
    s.values.forEach((v, x) => {
      if (v === null) segments.push([]);
      else segments[segments.length - 1].push(`${(60 + (x / 59) * plotW).toFixed(1)},${(20 + plotH - (v / max) * plotH).toFixed(1)}`);
    });
    return segments.filter(pts => pts.length > 0).map(pts =>
      `<polyline fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="1.8" ${s.dashed ? 'stroke-dasharray="6 4"' : ''} points="${pts.join(' ')}"/>`).join('');
  }).join('');
  const grid = [0, 0.25, 0.5, 0.75, 1].map(f => {
    const y = 20 + plotH - f * plotH;
    return `<line x1="60" x2="${60 + plotW}" y1="${y}" y2="${y}" stroke="#2c3235"/><text x="54" y="${y + 4}" text-anchor="end">${escape(format(f * max, unit))}</text>`;
  }).join('');
  const legend = series.map((s, k) => `<span><i style="background:${COLORS[k % COLORS.length]}"></i>${escape(s.name)}</span>`).join('');
  return `<svg width="${w - 16}" height="${plotH + 30}">${grid}${lines}</svg><div class="legend">${legend}</div>`;
}

function stat(panel, k) {
  // Consistent with the sample lines: envoy restarted twice, OOMKilled, and is ready again.
  const value = { 'Sidecars not ready': 0, 'Sidecars waiting': 0 }[panel.title] ?? (/Restarts/.test(panel.title) ? 2 : 1);
  const color = value === 0 ? '#73bf69' : '#f2cc0c';
  return `<div class="stat" style="color:${color}">${value}</div>`;
}

let html = '';
let bottom = 0;
dashboard.panels.forEach((panel, k) => {
  const { x, y, w, h } = panel.gridPos;
  const left = x * COL;
  const top = y * ROW_PX + 50;
  const width = w * COL;
  const height = h * ROW_PX;
  bottom = Math.max(bottom, top + height);
  if (panel.type === 'row') {
    html += `<div class="row" style="left:${left}px;top:${top}px;width:${width}px">⌄ ${escape(panel.title)}</div>`;
    return;
  }
  const body = panel.type === 'stat' ? stat(panel, k) : timeseries(panel, width, height);
  html += `<div class="panel" style="left:${left + 4}px;top:${top + 4}px;width:${width - 8}px;height:${height - 8}px">`
    + `<div class="title">${escape(panel.title)}</div>${body}</div>`;
});

const variables = dashboard.templating.list.map(v => `<span class="var"><b>${escape(v.label ?? v.name)}</b>${v.type === 'datasource' ? 'Prometheus' : 'All'}</span>`).join('');
process.stdout.write(`<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#111217;font:13px Inter,Helvetica,Arial,sans-serif;color:#ccccdc;width:${WIDTH}px;height:${bottom + 10}px;position:relative}
.head{position:absolute;left:8px;top:8px;font-size:16px;color:#fff}.head .var{margin-left:18px;font-size:12px;background:#181b1f;border:1px solid #2c3235;padding:4px 8px;color:#ccccdc}
.head .var b{margin-right:8px;color:#6e9fff;font-weight:500}
.row{position:absolute;height:${ROW_PX}px;line-height:${ROW_PX}px;font-size:15px;color:#fff;font-weight:500}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px;overflow:hidden}
.title{padding:6px 8px;font-weight:500;color:#fff}
svg{margin:0 8px}svg text{fill:#8e8e8e;font-size:10px}
.legend{padding:0 8px;font-size:11px;line-height:16px}.legend span{margin-right:12px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.stat{font-size:56px;text-align:center;line-height:${5 * ROW_PX - 50}px;font-weight:500}
</style></head><body><div class="head">${escape(dashboard.title)}${variables}</div>${html}</body></html>`);
