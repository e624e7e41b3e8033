// The console: a login with an API key, then pages chosen by the URL's hash (#/apps, #/fn/ID, ...).
import * as api from './api.js';
import { h, show, alert } from './dom.js';
import { appsPage } from './pages/apps.js';
import { fnPage } from './pages/fn.js';
import { callsPage, callPage } from './pages/calls.js';
import { clusterPage } from './pages/cluster.js';
import { runsPage, runPage } from './pages/runs.js';

const routes = [
  [/^#\/apps$/, appsPage, '#/apps'],
  [/^#\/fn\/([^/?]+)$/, fnPage, '#/apps'],
  [/^#\/calls(?:\?(.*))?$/, callsPage, '#/calls'],
  [/^#\/call\/([^/?]+)$/, callPage, '#/calls'],
  // The live page alone needs the chart library: loaded when first shown.
  [/^#\/live\/([^/?]+)$/, (...args) => import('./pages/live.js').then(m => m.livePage(...args)), '#/apps'],
  [/^#\/cluster$/, clusterPage, '#/cluster'],
  [/^#\/runs$/, runsPage, '#/runs'],
  [/^#\/run\/([^/?]+)$/, runPage, '#/runs'],
];

// What the current page stops when another is shown (feeds, timers).
let leaving = new AbortController();

function loginPage(message) {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true,
    'aria-describedby': 'key-note' });
  const status = h('div', { 'aria-live': 'polite' }, message ? alert(message) : '');
  const form = h('form', { class: 'card login', id: 'login' },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'key' }, 'API key'), input,
    h('p', { id: 'key-note', class: 'note' },
      'A Cleave API key (admin, or deploy for one app). It stays in this browser tab only.'),
    status,
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const k = input.value.trim();
    try {
      await api.json('/v2/apps?per_page=1', { withKey: k });
      api.setKey(k);
      location.hash = '#/apps';
      route();
    } catch (err) {
      status.replaceChildren(alert(err.message));
    }
  });
  document.getElementById('nav').hidden = true;
  show(form);
  input.focus();
}

function route() {
  leaving.abort();
  leaving = new AbortController();
  if (!api.key()) {
    loginPage();
    return;
  }
  document.getElementById('nav').hidden = false;
  // The cluster's pages take an admin key: other keys are not offered the link.
  api.self().then(me => { document.querySelector('#nav a[href="#/cluster"]').hidden = me.role !== 'admin'; }, () => {});
  const hash = location.hash || '#/apps';
  for (const [pattern, page, tab] of routes) {
    const m = hash.match(pattern);
    if (m) {
      for (const a of document.querySelectorAll('#nav a')) {
        a.toggleAttribute('aria-current', a.getAttribute('href') === tab);
        if (a.getAttribute('href') === tab) a.setAttribute('aria-current', 'page');
      }
      const args = m.slice(1).map(x => x === undefined ? '' : x);
      Promise.resolve(page(leaving.signal, ...args)).catch(err => {
        if (err.name !== 'AbortError') show(alert(err.message));
      });
      return;
    }
  }
  show(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/apps' }, 'Functions')));
}

// A page reached by a link takes the focus, so keyboard and screen reader users start at its top.
window.addEventListener('hashchange', () => {
  route();
  document.getElementById('main').focus({ preventScroll: true });
});
window.addEventListener('cleave-unauthorized', e => {
  api.forget();
  leaving.abort();
  loginPage(e.detail);
});
document.getElementById('signout').addEventListener('click', () => {
  api.forget();
  location.hash = '';
  route();
});
route();
