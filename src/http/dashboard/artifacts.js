// What an MLflow client logged for the run besides metrics: files (figures shown as images), models and datasets.
import { getJson, request, unavailable } from './api.js';
import { h, fill } from './dom.js';

const IMAGE = /\.(png|jpe?g|gif|webp)$/i;

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Images are fetched with the token (an <img src> could not send it) and shown from a blob. */
function figure(path, file) {
  const img = h('img', { class: 'artifact-figure', alt: file.path, 'data-artifact': file.path });
  request(`${path}/${file.path.split('/').map(encodeURIComponent).join('/')}`)
    .then((res) => res.blob())
    .then((blob) => img.setAttribute('src', URL.createObjectURL(blob)))
    .catch(() => img.replaceWith(h('span', { class: 'muted' }, `${file.path}: could not be loaded`)));
  return h('figure', {}, img, h('figcaption', {}, file.path));
}

export async function renderArtifacts(runId, body, note) {
  const path = `/runs/${encodeURIComponent(runId)}/artifacts`;
  let a;
  try {
    a = await getJson(path);
  } catch (err) {
    fill(body, h('p', { class: 'muted' }, unavailable('Artifacts', err)));
    return;
  }
  note.textContent = a.files.length ? `${a.files.length} file${a.files.length === 1 ? '' : 's'}` : '';
  const sections = [];
  const images = a.files.filter((f) => IMAGE.test(f.path));
  if (images.length) sections.push(images.map((f) => figure(path, f)));
  const others = a.files.filter((f) => !IMAGE.test(f.path));
  if (others.length) sections.push(h('h3', {}, 'Files'), h('ul', { class: 'artifact-files' }, others.map((f) => h('li', {}, `${f.path} (${size(f.size)})`))));
  if (a.models.length) {
    sections.push(h('h3', {}, 'Models'), h('ul', {}, a.models.map((m) => h('li', {}, `${m.name}${m.flavors.length ? ` (${m.flavors.join(', ')})` : ''}: ${m.artifact_path}`))));
  }
  if (a.datasets.length) {
    sections.push(h('h3', {}, 'Datasets'), h('ul', {}, a.datasets.map((d) => h('li', {}, `${d.name} (${d.context ?? 'input'}, ${d.source_type}, digest ${d.digest})`))));
  }
  fill(body, sections.length ? sections : h('p', { class: 'muted' }, 'No artifacts, models or datasets logged for this run.'));
}
