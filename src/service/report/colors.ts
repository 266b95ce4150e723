// Colours that mean the same thing in every figure: training blue, validation orange, test green.

/** Tableau 10 without its red, which marks NaN and infinite values. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79'];

const ROLE: Record<string, string> = {
  train: PALETTE[0],
  val: PALETTE[1],
  test: PALETTE[2],
};

const SEVERITY: Record<string, string> = { critical: '#b0281a', warning: '#c26a00', info: '#5f6b73' };

/** A split's colour for `train_loss`, `val_acc`...; undefined for names with no split. */
export function roleColor(canonical: string | null): string | undefined {
  return canonical ? ROLE[canonical.split('_')[0]] : undefined;
}

export function severityColor(severity: string): string {
  return SEVERITY[severity] ?? SEVERITY.info;
}

/**
 * Colours for series in order: a split keeps its own colour the first time it is seen; the
 * rest take palette colours no earlier series took.
 */
export function assignColors(canonicals: Array<string | null>): string[] {
  const used = new Set<string>();
  const out = canonicals.map((c) => {
    const role = roleColor(c);
    if (role && !used.has(role)) {
      used.add(role);
      return role;
    }
    return '';
  });
  let next = 0;
  return out.map((c) => {
    if (c) return c;
    while (used.has(PALETTE[next % PALETTE.length]) && next < PALETTE.length) next++;
    const color = PALETTE[next % PALETTE.length];
    used.add(color);
    next++;
    return color;
  });
}
