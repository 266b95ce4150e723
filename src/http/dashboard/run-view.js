// One run's page: status, curves, findings, control, latest metrics, live log and chat, kept live by its event stream.
import { getJson } from './api.js';
import { renderArtifacts } from './artifacts.js';
import { ChatPanel } from './chat.js';
import { CheckpointsPanel } from './checkpoints.js';
import { ControlButtons } from './controls.js';
import { RunCurves } from './curves.js';
import { h, fill, panel } from './dom.js';
import { exportButtons } from './export-buttons.js';
import { FindingsPanel } from './findings.js';
import { renderLineageStrip } from './lineage.js';
import { followRun } from './live.js';
import { LogView } from './log-view.js';
import { renderRunInfo } from './run-info.js';
import { renderRunMeta } from './run-meta.js';
import { manageRun } from './run-manage.js';
import { LatestTable, renderStatus } from './status.js';

/** Events replayed on open, so the log and findings show what just happened. */
const BACKFILL_EVENTS = 300;
/** Progress and ETA are the server's arithmetic: re-read at most this often while events flow. */
const STATUS_REFRESH_MS = 2000;

/** `page`: the shell's connection badge (`setConn(state, detail)`) and title (`setTitle(text)`). */
export function runView(main, runId, page) {
  const path = `/runs/${encodeURIComponent(runId)}`;
  const header = h('div', { class: 'run-status' });
  const findings = panel('Findings', 'findings-panel');
  const control = panel('Control', 'control-panel');
  const exports = panel('Export', 'export-panel');
  const latest = panel('Latest metrics', 'latest-panel');
  const log = panel('Log', 'log-panel');
  const chat = panel('Ask the analyst', 'chat-panel');
  const info = panel('Run parameters', 'info-panel');
  const manage = panel('Manage', 'manage-panel');
  const artifacts = panel('Artifacts', 'artifacts-panel');
  const lineage = panel('Lineage', 'lineage-panel');
  const checkpoints = panel('Checkpoints', 'checkpoints-panel');
  const runMeta = panel('State and environment', 'run-meta-panel');
  const checkpointsPanel = new CheckpointsPanel(runId, checkpoints.body, checkpoints.note);
  const findingsPanel = new FindingsPanel(findings.body, findings.note);
  const curves = new RunCurves(runId, { onFinding: (id) => findingsPanel.open(id) });
  const latestTable = new LatestTable(latest.body);
  const logView = new LogView(log.body, log.note);
  const controls = new ControlButtons(runId, control.body);
  exportButtons(runId, exports.body);
  new ChatPanel(runId, chat.body, chat.note);
  fill(
    main,
    header,
    h('div', { class: 'run-grid' }, h('div', { class: 'col-main' }, curves.root, lineage.root, log.root), h('div', { class: 'col-side' }, findings.root, control.root, exports.root, runMeta.root, latest.root, checkpoints.root, chat.root, info.root, artifacts.root, manage.root)),
  );
  renderArtifacts(runId, artifacts.body, artifacts.note);
  renderLineageStrip(lineage.body, lineage.note, runId);
  checkpointsPanel.load();

  let statusTimer = 0;
  let stopFollowing = () => {};
  let disposed = false;
  const deleted = () => {
    stopFollowing();
    page.setConn('stopped', 'the run was deleted');
    fill(header, h('p', { class: 'error', 'data-deleted': runId }, `Run ${runId} was deleted.`), h('a', { href: '#/' }, 'Back to the runs'));
  };
  const showStatus = (s) => {
    renderStatus(header, s);
    controls.update(s.status);
    renderRunInfo(info.body, s);
    renderRunMeta(runMeta.body, s);
    page.setTitle(s.name, `${s.name} · ${s.status}`);
  };
  let statusAt = 0;
  // At once after a quiet spell, then at most every STATUS_REFRESH_MS while events keep coming.
  const refreshStatus = () => {
    if (statusTimer) return;
    statusTimer = setTimeout(async () => {
      statusAt = Date.now();
      const s = await getJson(path).catch(() => null);
      statusTimer = 0;
      if (s && !disposed) showStatus(s);
    }, Math.max(0, statusAt + STATUS_REFRESH_MS - Date.now()));
  };

  const onEvent = (type, e) => {
    switch (type) {
      case 'status':
        showStatus(e);
        return;
      case 'metrics':
        curves.addMetrics(e);
        latestTable.merge(e);
        refreshStatus();
        return;
      case 'finding_raised':
      case 'finding_updated':
      case 'finding_resolved':
        findingsPanel.upsert(e.finding);
        curves.upsertFinding(e.finding);
        refreshStatus();
        break;
      case 'epoch_started':
      case 'epoch_ended':
        curves.addEpochEvent(e);
        refreshStatus();
        break;
      case 'checkpoint_saved':
      case 'checkpoint_loaded':
        checkpointsPanel.load();
        break;
      case 'deleted':
        deleted();
        return;
      case 'run_started':
      case 'run_finished':
      case 'control_ack':
        refreshStatus();
        break;
    }
    logView.add(type, e);
  };

  (async () => {
    try {
      const status = await getJson(path);
      if (disposed) return;
      showStatus(status);
      manageRun(manage.body, status, { onChanged: refreshStatus, onDeleted: () => (location.hash = '#/') });
      latestTable.setAll(status.latest);
      const [, list] = await Promise.all([curves.load(status), getJson(`${path}/findings`)]);
      findingsPanel.setAll(list.findings);
      curves.setFindings(list.findings);
      if (disposed) return;
      stopFollowing = followRun(runId, Math.max(0, status.last_seq - BACKFILL_EVENTS), {
        onEvent,
        onState: page.setConn,
      });
    } catch (error) {
      fill(header, h('p', { class: 'error' }, `Could not load run ${runId}: ${error.message}`));
    }
  })();

  return () => {
    disposed = true;
    clearTimeout(statusTimer);
    stopFollowing();
    curves.dispose();
  };
}
