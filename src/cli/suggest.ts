/**
 * "Did you mean …?" for mistyped command and option names: the closest candidate when it is
 * a likely typo (at most 2 edits, and fewer than half the word's letters), or the one
 * candidate the word is a prefix of. Image names use tree/close-matches' wider rule.
 */
import { editDistance } from '../tree/close-matches.js';

/** The candidate `word` most likely meant, or undefined when none is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = candidates.filter((c) => w.length >= 2 && c.startsWith(w));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of [...candidates].sort()) {
    const dist = editDistance(w, c);
    if (dist < bestDistance) [best, bestDistance] = [c, dist];
  }
  return bestDistance <= 2 && bestDistance * 2 < Math.max(w.length, 2) ? best : undefined;
}
