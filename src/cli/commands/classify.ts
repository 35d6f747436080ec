/** `mulki classify MODEL IMAGE... --labels "cat,dog,car"`: zero-shot classification with probabilities. */
import { getBackend } from '../../engine/device.js';
import { tensor } from '../../engine/ops/create.js';
import { softmax } from '../../engine/ops/softmax.js';
import { scope } from '../../engine/memory.js';
import { noGrad } from '../../engine/tape.js';
import { openModel } from '../../clip/model-folder.js';
import { decodeImage } from '../../clip/decode.js';
import { evalTransform } from '../../clip/preprocess.js';
import { buildClassifier, zeroShotLogits } from '../../clip/zeroshot.js';
import { isDeviceName } from '../../engine/device.js';
import { num, str, UsageError, type Parsed } from '../args.js';

export const DEFAULT_TEMPLATES = ['a photo of a {c}.'];

export async function classifyCommand(p: Parsed): Promise<void> {
  const [modelSpec, ...images] = p.positionals;
  if (!modelSpec || images.length === 0) throw new UsageError('usage: mulki classify MODEL_DIR IMAGE... --labels "cat,dog,car"');
  const labels = (str(p, 'labels') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (labels.length < 2) throw new UsageError('mulki classify: --labels needs at least two comma-separated class names');
  const templates = str(p, 'template') ? [str(p, 'template')!] : DEFAULT_TEMPLATES;
  const device = str(p, 'device') ?? 'cpu';
  if (!isDeviceName(device)) throw new UsageError(`mulki classify: --device must be cpu, cuda or ref`);
  const top = Math.min(num(p, 'top', 'classify') ?? 5, labels.length);
  const be = getBackend(device);
  const { model, tokenizer } = openModel(modelSpec, be);
  const S = model.config.vision.imageSize;
  const classifier = buildClassifier(model, tokenizer, labels, templates);
  const scale = Math.exp((model.logitScale.toArray() as Float32Array)[0]!);
  for (const path of images) {
    const img = await decodeImage({ kind: 'file', path });
    const px = evalTransform(img, { size: S });
    const probs = noGrad(() => scope(() => softmax(zeroShotLogits(model, classifier, tensor(px, [1, 3, S, S], { device: be }), scale)).toArray() as Float32Array));
    const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!).slice(0, top);
    console.log(path);
    for (const k of order) console.log(`  ${(100 * probs[k]!).toFixed(1).padStart(5)}%  ${labels[k]}`);
  }
}
