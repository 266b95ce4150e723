// Token estimates for budgets and for providers that report no usage (offline, broken streams).

/**
 * Counts pieces the way BPE tokenisers split text: a word costs one token per ~4 letters, digits
 * go in groups of three, every punctuation mark is its own token. Numbers-heavy prompts (metric
 * curves) tokenise far worse than chars/4 suggests, which is why this is not chars/4.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  const re = /[A-Za-z]+|\d+|\s+|[^\sA-Za-z\d]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const piece = m[0];
    const c = piece.charCodeAt(0);
    if (c === 32 || c === 10 || c === 9 || c === 13) {
      // One space usually merges into the next word; runs of whitespace cost about one token.
      if (piece.length > 1) tokens += 1;
    } else if (c >= 48 && c <= 57) {
      tokens += Math.ceil(piece.length / 3);
    } else if (/[A-Za-z]/.test(piece[0])) {
      tokens += Math.ceil(piece.length / 4);
    } else {
      tokens += 1;
    }
  }
  return tokens;
}
