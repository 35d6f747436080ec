/**
 * Learning-rate schedule of the MTIL recipe (ZSCL's cosine_lr): linear warm-up to the base rate over `warmup`
 * steps, lr = base * (step + 1) / warmup, then cosine decay to 0 over the remaining steps.
 */
export function warmupCosineLr(step: number, baseLr: number, warmup: number, total: number): number {
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  const e = step - warmup;
  const es = Math.max(total - warmup, 1);
  return 0.5 * (1 + Math.cos((Math.PI * e) / es)) * baseLr;
}
