// Series colours that mean the same on every run and page: train is always blue, validation always orange.

const SPLIT_COLORS = { train: '#2563eb', val: '#ea580c', test: '#059669' };
/** For metrics of no split (lr, gradient norms, system figures): none of the split colours. */
const PALETTE = ['#7c3aed', '#0891b2', '#db2777', '#65a30d', '#b45309', '#4f46e5', '#0d9488', '#be123c', '#a16207', '#ca8a04'];

/** FNV-1a: the same name picks the same colour in every browser and session. */
function hash(text) {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/** `split`: 'train' | 'val' | 'test' | null, as GET /runs/:id/metrics/names says; `name` picks among the others. */
export function seriesColor(name, split) {
  return SPLIT_COLORS[split] ?? PALETTE[hash(name) % PALETTE.length];
}
