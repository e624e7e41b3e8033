// Workflow runs: a list, and one run drawn as its DAG (SVG) with each step's state and time.
import * as api from '../api.js';
import { h, show, alert, table, badge, kv, ms, time } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const FILL = { pending: '#e4e7eb', running: '#cfe3fb', succeeded: '#d6f0dc', failed: '#fbd9d5', cancelled: '#e0e0e0' };
const STROKE = { pending: '#9aa3ad', running: '#1565c0', succeeded: '#137333', failed: '#b42318', cancelled: '#616161' };
const W = 170;
const H = 58;
const GAP_X = 60;
const GAP_Y = 22;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Columns by depth: a step sits one column right of the deepest step it runs after.
function layout(steps) {
  const byName = new Map(steps.map(st => [st.name, st]));
  const depth = new Map();
  const visit = (st, seen) => {
    if (depth.has(st.name)) return depth.get(st.name);
    if (seen.has(st.name)) return 0;
    seen.add(st.name);
    let d = 0;
    for (const a of st.after || []) {
      const before = byName.get(a.step || a);
      if (before) d = Math.max(d, visit(before, seen) + 1);
    }
    depth.set(st.name, d);
    return d;
  };
  steps.forEach(st => visit(st, new Set()));
  const columns = [];
  for (const st of steps) (columns[depth.get(st.name)] = columns[depth.get(st.name)] || []).push(st);
  const at = new Map();
  columns.forEach((col, x) => col.forEach((st, y) => at.set(st.name, { x: 20 + x * (W + GAP_X), y: 20 + y * (H + GAP_Y) })));
  const width = 40 + columns.length * (W + GAP_X) - GAP_X;
  const height = 40 + Math.max(...columns.map(c => c.length)) * (H + GAP_Y) - GAP_Y;
  return { at, width, height };
}

export function dag(steps) {
  const { at, width, height } = layout(steps);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': 'steps of the run and the order they run in' });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#5b6470' }))));
  for (const st of steps) {
    const to = at.get(st.name);
    for (const a of st.after || []) {
      const from = at.get(a.step || a);
      if (!from) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2;
      svg.append(s('path', { d: `M ${x1} ${y1} C ${x1 + GAP_X / 2} ${y1}, ${x2 - GAP_X / 2} ${y2}, ${x2} ${y2}`,
        fill: 'none', stroke: '#5b6470', 'stroke-width': 1.5, 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const st of steps) {
    const p = at.get(st.name);
    const state = st.status || 'pending';
    const g = s('g', { 'data-step': st.name, 'data-status': state });
    g.append(s('title', {}, `${st.name}: ${state}` + (st.duration_ms !== undefined ? `, ${st.duration_ms} ms` : '')));
    g.append(s('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6, fill: FILL[state] || '#fff', stroke: STROKE[state] || '#333',
      'stroke-width': 2 }));
    g.append(s('text', { x: p.x + 10, y: p.y + 20, class: 'step-name' }, st.name.length > 22 ? st.name.slice(0, 21) + '…' : st.name));
    g.append(s('text', { x: p.x + 10, y: p.y + 38 }, state + (st.map ? ' · map' : '')));
    g.append(s('text', { x: p.x + 10, y: p.y + 52, fill: '#5b6470' },
      st.duration_ms !== undefined && st.duration_ms !== null ? st.duration_ms + ' ms' : ''));
    svg.append(g);
  }
  return h('div', { class: 'dag scroll' }, svg);
}

// Every run for an admin key; a deploy key lists its own app's (the API refuses it the whole list).
async function listRuns(signal) {
  const me = await api.self();
  const scope = me.role === 'admin' ? '' : '&app_id=' + encodeURIComponent(me.app_id);
  return (await api.json('/cleave/v1/runs?per_page=50' + scope, { signal })).items;
}

export async function runsPage(signal) {
  let runs;
  try {
    runs = await listRuns(signal);
  } catch (err) {
    show(h('h1', {}, 'Workflow runs'), alert(err.message));
    return;
  }
  show(h('h1', {}, 'Workflow runs'), runs.length ? table(['Started', 'Flow', 'Status', 'Duration', 'Run'],
    runs.map(r => h('tr', {}, h('td', {}, time(r.created_at)), h('td', { class: 'mono' }, r.flow_name || r.flow_id),
      h('td', {}, badge(r.status)), h('td', {}, ms(r.duration_ms)),
      h('td', {}, h('a', { href: '#/run/' + r.id, class: 'mono' }, r.id)))))
    : h('p', { class: 'note' }, 'No runs yet (see README "Workflows").'));
}

export async function runPage(signal, id) {
  while (!signal.aborted) {
    const run = await api.json('/cleave/v1/runs/' + encodeURIComponent(id), { signal });
    const steps = run.steps || [];
    show(h('h1', {}, 'Run ', h('span', { class: 'mono' }, run.id)),
      h('section', { class: 'card' }, kv([['Status', badge(run.status)], ['Flow', run.flow_name || run.flow_id],
        ['Started', time(run.created_at)], ['Finished', time(run.finished_at)], ['Duration', ms(run.duration_ms)],
        ['Error', run.error]]), run.message ? alert(run.message) : ''),
      h('section', { class: 'card' }, h('h2', {}, 'Steps'), steps.length ? dag(steps) : h('p', { class: 'note' }, 'No steps.')),
      h('section', { class: 'card' }, h('h2', {}, 'Calls'), table(['Step', 'Item', 'Attempt', 'Status', 'Start', 'Call'],
        steps.flatMap(st => (st.calls || []).map(c => h('tr', {}, h('td', {}, st.name), h('td', {}, c.item ?? ''),
          h('td', {}, c.attempt ?? ''), h('td', {}, badge(c.status)), h('td', {}, badge(c.start_mode)),
          h('td', {}, c.activation_id ? h('a', { href: '#/call/' + c.activation_id, class: 'mono' }, c.activation_id) : '')))))));
    if (run.status !== 'running') return;
    await new Promise(r => setTimeout(r, 2000));
  }
}
