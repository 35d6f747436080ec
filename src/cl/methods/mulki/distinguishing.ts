/**
 * Stage 3, Distinguishing Ideas: per-sample weights of the teachers by how well each knows the sample [paper].
 * Modes [ours]:
 * - 'ce' (default):  w_k(x) = softmax_k(-CE(s f_k(x) G_k^T, y) / gamma)
 * - 'confidence':    w_k(x) = p_k(y|x) / sum_j p_j(y|x)
 * - 'entropy':       w_k(x) = softmax_k(-H(p_k(.|x)) / gamma)
 * - 'fixed':         w_k = 1 / (number of teachers)   (the ablation baseline)
 * Class-level weights are the batch means of the sample weights of each class.
 * Computed on the host from the teachers' logits (B x C values): exact, and cheap.
 */
export type WeightMode = 'ce' | 'confidence' | 'entropy' | 'fixed';

export const WEIGHT_MODES: readonly WeightMode[] = ['ce', 'confidence', 'entropy', 'fixed'];

/** logits[k]: teacher k's logits (B x C, row-major, already scaled by s); returns weights[k][i]. */
export function teacherWeights(mode: WeightMode, logits: readonly Float32Array[], labels: Int32Array, C: number, gamma: number): Float32Array[] {
  const K = logits.length;
  const B = labels.length;
  const w = logits.map(() => new Float32Array(B));
  for (let i = 0; i < B; i++) {
    const score = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const row = logits[k]!.subarray(i * C, (i + 1) * C);
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      const logZ = max + Math.log(z);
      const logpY = row[labels[i]!]! - logZ;
      if (mode === 'ce') score[k] = logpY / gamma; // -CE / gamma
      else if (mode === 'confidence') score[k] = Math.exp(logpY);
      else if (mode === 'entropy') {
        let h = 0;
        for (const v of row) {
          const lp = v - logZ;
          h -= Math.exp(lp) * lp;
        }
        score[k] = -h / gamma;
      }
    }
    if (mode === 'fixed') for (let k = 0; k < K; k++) w[k]![i] = 1 / K;
    else if (mode === 'confidence') {
      const tot = score.reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) w[k]![i] = tot > 0 ? score[k]! / tot : 1 / K;
    } else {
      const m = Math.max(...score);
      let z = 0;
      for (let k = 0; k < K; k++) z += Math.exp(score[k]! - m);
      for (let k = 0; k < K; k++) w[k]![i] = Math.exp(score[k]! - m) / z;
    }
  }
  return w;
}

/** Per-class means of sample weights, for the classes in `classes` (sorted distinct labels). */
export function classWeights(sample: Float32Array, labels: Int32Array, classes: Int32Array): Float32Array {
  const out = new Float32Array(classes.length);
  const n = new Float32Array(classes.length);
  const pos = new Map<number, number>();
  classes.forEach((c, k) => pos.set(c, k));
  labels.forEach((y, i) => {
    const k = pos.get(y)!;
    out[k]! += sample[i]!;
    n[k]!++;
  });
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / n[k]!;
  return out;
}
