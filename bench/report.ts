// How `npm run bench` prints its figures: one aligned row per figure, its target beside it.

export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

export const row = (label: string, value: string, target = '') => console.log(`  ${label.padEnd(46)} ${value.padEnd(20)} ${target}`);
