// The dashboard's entry: hash routes (#/ runs, #/run/<id>, #/compare/<a>/<b>/..., #/lineage/<model>) and the connection badge.
import { askToken } from './api.js';
import { compareView } from './compare.js';
import { h, fill } from './dom.js';
import { lineageView } from './lineage.js';
import { llmBadge } from './llm-badge.js';
import { runView } from './run-view.js';
import { runsList } from './runs-list.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
const conn = document.getElementById('conn');
let dispose = () => {};

const CONN_TEXT = { live: 'live', reconnecting: 'reconnecting…', polling: 'polling (no stream)', stopped: 'not following' };

function setConn(state, detail) {
  conn.className = `conn ${state ?? ''}`;
  conn.textContent = state ? CONN_TEXT[state] : '';
  conn.title = detail ?? '';
}

/** The crumb after "Runs /" and the window title. */
function setTitle(crumb, title = crumb) {
  fill(crumbs, h('a', { href: '#/' }, 'Runs'), ' / ', crumb);
  document.title = `${title} · Training Analyst`;
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  dispose();
  setConn(null);
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'run' && parts[1]) {
    setTitle(parts[1]);
    dispose = runView(main, parts[1], { setConn, setTitle });
  } else if (parts[0] === 'lineage') {
    setTitle(parts[1] ? `lineage of ${parts[1]}` : 'lineages');
    dispose = lineageView(main, parts[1]);
  } else if (parts[0] === 'compare' && parts.length >= 3) {
    setTitle('compare');
    dispose = compareView(main, parts.slice(1));
  } else {
    fill(crumbs);
    document.title = 'Training Analyst';
    dispose = runsList(main, new URLSearchParams(query), navigate);
  }
}

document.getElementById('token-button').addEventListener('click', () => askToken('Token for this server (kept in this browser).').then((ok) => ok && route()));
window.addEventListener('hashchange', route);
llmBadge(document.getElementById('llm'));
route();
