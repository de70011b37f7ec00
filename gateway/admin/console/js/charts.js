// Each destination's queue depth and delivery rate over the last hour or day (GET
// /api/v1/queues/history, sampled in memory by the gateway), drawn as plain inline SVG.
import {h, append, clear} from './dom.js';
import {get, query} from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 340;
const H = 120;
const PAD = {left: 44, right: 10, top: 20, bottom: 20};

function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) el.setAttribute(k === 'testid' ? 'data-testid' : k, String(v));
  }
  if (text !== undefined) el.textContent = text;
  return el;
}

const hhmm = (ms) => {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};
// A round top for the y axis at or above max (1, 2 or 5 times a power of ten).
function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
}
const fmtValue = (v) => (v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

// A line chart of points [{t: ms, v}] from fromMs to toMs, the y axis from 0; the last value is
// marked and written beside the title.
export function lineChart(points, {title, unit, testid, kind, fromMs, toMs}) {
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  const y1 = PAD.top;
  const top = niceMax(Math.max(0, ...points.map((p) => p.v)));
  const span = Math.max(1, toMs - fromMs);
  const x = (t) => x0 + ((t - fromMs) / span) * (x1 - x0);
  const y = (v) => y0 - (v / top) * (y0 - y1);
  const last = points.length ? points[points.length - 1] : null;
  const svg = s('svg', {class: `chart chart-${kind}`, viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `${title}: ${last ? `${fmtValue(last.v)} ${unit} now` : 'no data'}`, testid,
    'data-points': points.length});
  svg.append(s('text', {x: x0, y: 13, class: 'chart-title'}, title),
    s('text', {x: x1, y: 13, class: 'chart-last', 'text-anchor': 'end', testid: `${testid}-last`},
      last ? `${fmtValue(last.v)} ${unit}` : 'no data'));
  for (const v of [0, top / 2, top]) {
    svg.append(s('line', {x1: x0, x2: x1, y1: y(v), y2: y(v), class: v === 0 ? 'chart-axis' : 'chart-grid'}),
      s('text', {x: x0 - 5, y: y(v) + 4, class: 'chart-label', 'text-anchor': 'end'}, fmtValue(v)));
  }
  svg.append(s('text', {x: x0, y: H - 5, class: 'chart-label'}, hhmm(fromMs)),
    s('text', {x: x1, y: H - 5, class: 'chart-label', 'text-anchor': 'end'}, hhmm(toMs)));
  if (points.length) {
    const coords = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    if (points.length > 1) {
      svg.append(s('polygon', {class: 'chart-area',
        points: `${x(points[0].t).toFixed(1)},${y0} ${coords} ${x(last.t).toFixed(1)},${y0}`}));
    }
    svg.append(s('polyline', {class: 'chart-line', points: coords, testid: `${testid}-line`}));
    svg.append(s('circle', {class: 'chart-point', cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 3}));
  }
  return svg;
}

// One destination's two charts for a range's answer (the queue of `history.queues`).
export function queueCharts(q, history) {
  const fromMs = new Date(history.from).getTime();
  const toMs = new Date(history.to).getTime();
  const pts = q.points || [];
  const depth = pts.map((p) => ({t: new Date(p.at).getTime(), v: p.depth}));
  const rate = pts.filter((p) => p.deliveredPerMinute !== null && p.deliveredPerMinute !== undefined)
    .map((p) => ({t: new Date(p.at).getTime(), v: p.deliveredPerMinute}));
  return [
    lineChart(depth, {title: 'Depth', unit: 'pending', testid: 'chart-depth', kind: 'depth', fromMs, toMs}),
    lineChart(rate, {title: 'Delivered', unit: '/min', testid: 'chart-rate', kind: 'rate', fromMs, toMs}),
  ];
}

const RANGES = [['hour', 'Last hour'], ['day', 'Last day']];

// The dashboard's history section: a card per destination (or only `destinationId`), a range
// switch, and refresh() to call from the page's poll.
export function historySection({destinationId = null, testid = 'queue-charts'} = {}) {
  let range = 'hour';
  const box = h('div', {class: 'charts', testid});
  const note = h('span', {class: 'muted small', testid: `${testid}-note`});
  const buttons = RANGES.map(([r, label]) => h('button', {type: 'button', class: r === range ? 'primary' : null,
    testid: `${testid}-range-${r}`, dataset: {range: r}, onclick: () => {
      range = r;
      for (const b of buttons) b.className = b.dataset.range === range ? 'primary' : '';
      refresh();
    }}, label));
  const refresh = async () => {
    const hist = await get(`/api/v1/queues/history${query({range})}`);
    const queues = (hist.queues || []).filter((q) => destinationId === null || q.destinationId === destinationId);
    clear(box);
    if (!queues.length) append(box, h('p', {class: 'muted'}, 'No destinations yet.'));
    for (const q of queues) {
      append(box, h('div', {class: 'chart-card card', testid: 'queue-chart', dataset: {id: q.destinationId, name: q.name, range}},
        destinationId === null ? h('h4', null, h('a', {href: `#/queues/${q.destinationId}`}, q.name)) : null,
        h('div', {class: 'chart-pair'}, queueCharts(q, hist))));
    }
    note.textContent = `sampled every ${hist.stepSeconds} s in memory (since the gateway started)`;
  };
  const el = h('div', {class: 'history', testid: `${testid}-section`},
    h('div', {class: 'title'}, h('h2', null, 'History'), h('span', {class: 'range-switch'}, buttons), note),
    box);
  return {el, refresh};
}
