/**
 * Stage 2, Adding New Ideas: multi-level distillation from one teacher on the current task's data [paper].
 * Each model uses its own features f (images), G (text prototypes = class text features), V (visual prototypes).
 * [ours] relation logits are s * cos, softened by tau, compared as KL(p_teacher || p_student) * tau^2:
 * - feature level:  1 - cos(f_S(x), f_k(x)) per image; 1 - cos(g_S(c), g_k(c)) per class;
 * - inter-modal:    image -> text prototypes softmax(s f G^T / tau); text -> visual prototypes softmax(s g V^T / tau);
 * - intra-modal:    image -> visual prototypes softmax(s f V^T / tau); text -> text prototypes softmax(s g G^T / tau).
 * Image terms are weighted per sample (wImage [B]), class terms per class (wClass [K], classes in the batch).
 */
import { add, affine, mul, scale } from '../../../engine/ops/elementwise.js';
import { indexSelect } from '../../../engine/ops/embedding.js';
import { klDivRows } from '../../../engine/ops/loss.js';
import { matmul } from '../../../engine/ops/matmul.js';
import { mean, sum } from '../../../engine/ops/reduce.js';
import type { Tensor } from '../../../engine/tensor.js';

/** A model's view of the batch: normalised image features [B, D], text prototypes [C, D], visual prototypes [C, D]. */
export interface ModelView {
  f: Tensor;
  G: Tensor;
  V: Tensor;
}

export interface RelationTerms {
  feat: Tensor;
  inter: Tensor;
  intra: Tensor;
}

const weighted = (rows: Tensor, w: Tensor): Tensor => mean(mul(rows, w));
const rowCos = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b), -1);
const rel = (x: Tensor, protos: Tensor, s: number): Tensor => scale(matmul(x, protos, { transB: true }), s);

/** classIdx: i32 [K] classes present in the batch. */
export function relationTerms(student: ModelView, teacher: ModelView, classIdx: Tensor, wImage: Tensor, wClass: Tensor, s: number, tau: number): RelationTerms {
  const gS = indexSelect(student.G, 0, classIdx);
  const gT = indexSelect(teacher.G, 0, classIdx);
  const feat = add(weighted(affine(rowCos(student.f, teacher.f), -1, 1), wImage), weighted(affine(rowCos(gS, gT), -1, 1), wClass));
  const inter = add(
    weighted(klDivRows(rel(student.f, student.G, s), rel(teacher.f, teacher.G, s), tau), wImage),
    weighted(klDivRows(rel(gS, student.V, s), rel(gT, teacher.V, s), tau), wClass),
  );
  const intra = add(
    weighted(klDivRows(rel(student.f, student.V, s), rel(teacher.f, teacher.V, s), tau), wImage),
    weighted(klDivRows(rel(gS, student.G, s), rel(gT, teacher.G, s), tau), wClass),
  );
  return { feat, inter, intra };
}
