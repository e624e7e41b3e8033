// The cluster: its members, their capacity, instances and seeds, and this node's start rates.
import * as api from '../api.js';
import { h, show, alert, table } from '../dom.js';

const POLL_MS = 2000;

// Counters of this node's /metrics summed by one label: {label value: total}.
function counters(text, name, label) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = line.match(new RegExp(label + '="([^"]*)"'));
    const key = m ? m[1] : '';
    const value = parseFloat(line.slice(line.lastIndexOf(' ') + 1));
    if (!isNaN(value)) out[key] = (out[key] || 0) + value;
  }
  return out;
}

// Children started so far by seed node and child node: {"seed -> child": count}.
function forkCounts(members) {
  const out = {};
  for (const m of members) {
    for (const [from, n] of Object.entries(m.forks_from || {})) out[from + '\u0000' + (m.node || m.id)] = n;
  }
  return out;
}

function forkTable(before, now) {
  const secs = (now.t - before.t) / 1000;
  const keys = Object.keys(now.counts).sort();
  if (!keys.length) return h('p', { class: 'note' }, 'No forks yet.');
  return table(['Seed on', 'Child on', 'per second', 'total'], keys.map(k => {
    const [from, to] = k.split('\u0000');
    const rate = Math.max(0, now.counts[k] - (before.counts[k] || 0)) / secs;
    return h('tr', { 'data-from': from, 'data-to': to }, h('td', {}, from), h('td', {}, to, from === to ? ' (local)' : ''),
      h('td', {}, rate.toFixed(1)), h('td', {}, String(now.counts[k])));
  }));
}

function memberRow(m) {
  const used = m.capacity_mb ? Math.min(100, Math.round(100 * m.reserved_mb / m.capacity_mb)) : 0;
  return h('tr', { 'data-member': m.node || m.id },
    h('td', {}, m.node || h('span', { class: 'note' }, 'no invoker'), m.local ? ' (this node)' : ''),
    h('td', { class: 'hide-narrow' }, h('code', {}, m.api_url || m.address)),
    h('td', {}, m.capacity_mb === undefined ? '' : h('div', {},
      h('div', { class: 'bar', role: 'img', 'aria-label': used + '% of memory reserved' }, h('span', { style: null, 'data-pct': used })),
      m.reserved_mb + ' / ' + m.capacity_mb + ' MB')),
    h('td', {}, m.busy ?? ''), h('td', {}, m.idle ?? ''), h('td', {}, m.starting ?? ''), h('td', {}, m.seeds ?? ''));
}

export async function clusterPage(signal) {
  const members = h('div', { id: 'cluster-members' });
  const forks = h('div', { id: 'cluster-forks' }, h('p', { class: 'note' }, 'Measuring…'));
  const rates = h('div', { id: 'cluster-rates' }, h('p', { class: 'note' }, 'Measuring…'));
  const status = h('div', { 'aria-live': 'polite' });
  show(h('h1', {}, 'Cluster'), status,
    h('section', { class: 'card' }, h('h2', {}, 'Members'), members),
    h('section', { class: 'card' }, h('h2', {}, 'Forks between nodes'), forks,
      h('p', { class: 'note' }, 'Children started on a node from a seed on the same node (local fork) or on another (remote fork), as each node last published.')),
    h('section', { class: 'card' }, h('h2', {}, 'Calls per second on this node, by start mode'), rates,
      h('p', { class: 'note' }, 'From this node\'s /metrics (admin or metrics keys); remote forks are children restored here from another node\'s seed.')));
  let before = null;
  let forksBefore = null;
  while (!signal.aborted) {
    try {
      const c = await api.json('/cleave/v1/cluster', { signal });
      const forksNow = { t: Date.now(), counts: forkCounts(c.members) };
      if (forksBefore) forks.replaceChildren(forkTable(forksBefore, forksNow));
      forksBefore = forksNow;
      status.replaceChildren(h('p', {}, 'Cluster ', h('strong', {}, c.name), ': ', String(c.members.length), ' members'));
      members.replaceChildren(table(['Node', 'API', 'Memory', 'Busy', 'Idle', 'Starting', 'Seeds'], c.members.map(memberRow)));
      for (const bar of members.querySelectorAll('[data-pct]')) bar.style.width = bar.dataset.pct + '%';
      try {
        const text = await api.text('/metrics', { signal });
        const now = { t: Date.now(), modes: counters(text, 'cleave_invocations_total', 'start_mode'),
          remote: counters(text, 'cleave_remote_fork_starts_total', '')[''] || 0 };
        if (before) {
          const secs = (now.t - before.t) / 1000;
          const rows = Object.keys(now.modes).filter(k => k !== 'none').map(k =>
            h('tr', {}, h('td', {}, k), h('td', {}, ((now.modes[k] - (before.modes[k] || 0)) / secs).toFixed(1))));
          rows.push(h('tr', {}, h('td', {}, 'remote children started'), h('td', {}, ((now.remote - before.remote) / secs).toFixed(1))));
          rates.replaceChildren(table(['Start mode', 'per second'], rows));
        }
        before = now;
      } catch (err) {
        if (signal.aborted) return;
        rates.replaceChildren(alert(err.message));
      }
    } catch (err) {
      if (signal.aborted) return;
      status.replaceChildren(alert(err.message));
      return;
    }
    await new Promise(r => setTimeout(r, POLL_MS));
  }
}
