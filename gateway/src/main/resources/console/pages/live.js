// One function live: calls per second by start mode, latency percentiles, instances by state, its
// seed and children, from the server's feed (one event a second; the page never polls).
import uPlot from '/console/lib/uplot/dist/uPlot.esm.js';
import * as api from '../api.js';
import { h, show, alert, kv, badge, table } from '../dom.js';

const OUTCOMES = ['warm', 'fork', 'remote-fork', 'restore', 'cold', 'error', 'rejected'];
const COLORS = { warm: '#2e7d32', fork: '#1565c0', 'remote-fork': '#6a1b9a', restore: '#00838f', cold: '#e65100',
  error: '#b42318', rejected: '#616161' };
const SECONDS = 120;

function chart(el, width) {
  const series = [{}].concat(OUTCOMES.map(o => ({ label: o, stroke: COLORS[o], width: 2, points: { show: false } })));
  return new uPlot({ width, height: 220, series, axes: [{}, { label: 'calls/s' }], scales: { x: { time: true } },
    legend: { live: false } }, [[], ...OUTCOMES.map(() => [])], el);
}

export async function livePage(signal, id) {
  const fn = await api.json('/v2/fns/' + encodeURIComponent(id), { signal });
  const plot = h('div', { id: 'live-chart', role: 'img', 'aria-label': 'calls per second by start mode, last two minutes' });
  const totals = h('div', { id: 'live-totals' });
  const latency = h('div', { id: 'live-latency' });
  const instances = h('div', { id: 'live-instances' });
  const seed = h('div', { id: 'live-seed' });
  const status = h('p', { class: 'note', 'aria-live': 'polite' }, 'Connecting…');
  show(h('h1', {}, fn.name, ' — live'),
    h('p', {}, h('a', { href: '#/fn/' + fn.id }, 'Function'), ' · ', h('a', { href: '#/calls?fn=' + fn.id }, 'Calls')),
    status,
    h('section', { class: 'card' }, h('h2', {}, 'Calls per second by start mode'), plot),
    h('div', { class: 'grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Calls since the node started'), totals),
      h('section', { class: 'card' }, h('h2', {}, 'Latency, last 10 s'), latency),
      h('section', { class: 'card' }, h('h2', {}, 'Instances'), instances),
      h('section', { class: 'card' }, h('h2', {}, 'Seed and children'), seed)));
  const u = chart(plot, Math.max(280, plot.clientWidth || 600));
  const resize = () => u.setSize({ width: Math.max(280, plot.clientWidth), height: 220 });
  window.addEventListener('resize', resize);
  signal.addEventListener('abort', () => window.removeEventListener('resize', resize));
  const data = [[], ...OUTCOMES.map(() => [])];

  const onEvent = (name, a) => {
    if (name !== 'activity') return;
    status.textContent = 'Live from node ' + a.node + ', ' + new Date(a.t).toLocaleTimeString();
    data[0].push(Date.parse(a.t) / 1000);
    OUTCOMES.forEach((o, i) => data[i + 1].push((a.per_second || {})[o] || 0));
    if (data[0].length > SECONDS) data.forEach(s => s.shift());
    u.setData(data);
    const calls = a.calls || {};
    totals.replaceChildren(Object.keys(calls).length
      ? table(['Start', 'Calls'], Object.entries(calls).map(([k, v]) =>
        h('tr', { 'data-outcome': k }, h('td', {}, badge(k)), h('td', { class: 'count' }, String(v)))))
      : h('p', { class: 'note' }, 'No calls yet.'));
    const l = a.latency;
    latency.replaceChildren(l.calls ? kv([['Calls', l.calls], ['p50', l.p50_ms + ' ms'], ['p90', l.p90_ms + ' ms'],
      ['p99', l.p99_ms + ' ms'], ['max', l.max_ms + ' ms']]) : h('p', { class: 'note' }, 'No calls ended in the last 10 s.'));
    const i = a.instances;
    instances.replaceChildren(kv([['Busy', i.busy], ['Idle', i.idle], ['Parked (forked ahead)', i.parked],
      ['Starting', i.starting]]),
      h('p', { class: 'note' }, 'Made by: ', Object.entries(a.by_origin || {}).map(([k, v]) => [badge(k), ' ', v, ' '])));
    const remote = Object.entries(a.remote_children || {});
    seed.replaceChildren(a.seed ? kv([['State', a.seed.state],
      ['Shared with other nodes', a.seed.shared ? 'yes (remote fork)' : 'no'],
      ['Children forked here', String(a.seed.children)]])
      : h('p', { class: 'note' }, 'No seed on this node.'),
      remote.length ? h('p', {}, remote.map(([node, n]) => h('span', { class: 'remote-children' },
        String(n), ' children restored here from the seed on ', h('strong', {}, node), '. '))) : '');
  };

  // The feed ends every few minutes (and on a network hiccup): open it again, a second later.
  while (!signal.aborted) {
    try {
      await api.feed('/cleave/v1/fns/' + encodeURIComponent(id) + '/live', signal, onEvent);
    } catch (err) {
      if (signal.aborted) return;
      status.replaceChildren(alert(err.message));
      if (err instanceof api.ApiError && err.status < 500) return;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}
