// Apps and their functions and triggers: config, image, memory, endpoints with copy buttons.
import * as api from '../api.js';
import { h, show, alert, table, copyButton, kv } from '../dom.js';

const INVOKE = 'fnproject.io/fn/invokeEndpoint';
const HTTP = 'fnproject.io/trigger/httpEndpoint';

function endpoint(url, what) {
  return url ? h('span', {}, h('code', {}, url), ' ', copyButton(url, what)) : '';
}

// A bundle image by the start of its digest (the function's page shows it whole).
function shortImage(image) {
  const m = (image || '').match(/^(.*sha256[-:])([0-9a-f]{12})[0-9a-f]+$/);
  return m ? m[1] + m[2] + '…' : image || '';
}

function configList(config) {
  const entries = Object.entries(config || {});
  return entries.length ? kv(entries.map(([k, v]) => [k, h('code', {}, v)])) : h('span', { class: 'note' }, 'none');
}

async function appCard(app, signal) {
  const [fns, triggers] = await Promise.all([
    api.all('/v2/fns?app_id=' + encodeURIComponent(app.id)),
    api.all('/v2/triggers?app_id=' + encodeURIComponent(app.id))]);
  if (signal.aborted) return '';
  const byFn = {};
  for (const t of triggers) (byFn[t.fn_id] = byFn[t.fn_id] || []).push(t);
  const rows = fns.map(fn => h('tr', { 'data-fn': fn.name },
    h('td', {}, h('a', { href: '#/fn/' + fn.id }, fn.name)),
    h('td', { class: 'hide-narrow' }, h('code', { title: fn.image || '' }, shortImage(fn.image))),
    h('td', {}, fn.memory ? fn.memory + ' MB' : ''),
    h('td', {}, endpoint((fn.annotations || {})[INVOKE], 'invoke endpoint of ' + fn.name),
      (byFn[fn.id] || []).map(t => h('div', {}, 'trigger ', h('code', {}, t.source), ' ',
        endpoint((t.annotations || {})[HTTP], 'trigger endpoint of ' + fn.name)))),
    h('td', {}, h('a', { href: '#/live/' + fn.id }, 'Live'), ' · ',
      h('a', { href: '#/calls?fn=' + fn.id }, 'Calls'))));
  return h('section', { class: 'card', 'aria-labelledby': 'app-' + app.id },
    h('h2', { id: 'app-' + app.id }, app.name, ' ', h('span', { class: 'note mono' }, app.id)),
    h('details', {}, h('summary', {}, 'App config'), configList(app.config)),
    fns.length ? table(['Function', 'Image', 'Memory', 'Endpoints', ''], rows)
      : h('p', { class: 'note' }, 'No functions yet: ', h('code', {}, 'cleave deploy'), ' one.'));
}

export async function appsPage(signal) {
  show(h('h1', {}, 'Functions'), h('p', { class: 'note' }, 'Loading…'));
  const apps = await api.all('/v2/apps');
  const cards = [];
  for (const app of apps) {
    try {
      cards.push(await appCard(app, signal));
    } catch (err) {
      cards.push(h('section', { class: 'card' }, h('h2', {}, app.name), alert(err.message)));
    }
  }
  if (signal.aborted) return;
  show(h('h1', {}, 'Functions'),
    apps.length ? cards : h('p', {}, 'No apps yet. Create one with ', h('code', {}, 'cleave apps create NAME'), '.'));
}
