// Medians, because the machines are shared and a neighbour's burst should move a figure as
// little as possible; ratios are taken within a round (two contenders measured back to back)
// and then the median of those ratios is kept.
export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median over rounds of a[i] / b[i]. */
export function medianRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}
