/**
 * The built-in model's vocabulary: OpenAI's CLIP BPE pruned to the tokens its text can use -- every token of the
 * pre-training captions and of the prompts of the benchmark's class names -- plus <|unk|>, <|startoftext|> and
 * <|endoftext|> (pruning keeps the embedding table small; the BPE itself is unchanged, see ClipTokenizer.pruned).
 */
import { ClipTokenizer } from '../clip/tokenizer.js';
import { fillTemplate } from '../clip/zeroshot.js';

/** Generic prompt templates kept in the vocabulary so that users' own prompts mostly encode without <|unk|>. */
export const GENERIC_TEMPLATES = [
  'a photo of a {c}.', 'a photo of the {c}.', 'a drawing of a {c}.', 'a sketch of a {c}.', 'an icon of a {c}.',
  'a picture of a {c}.', 'an image of a {c}.', 'a painting of a {c}.', 'a cartoon {c}.', 'a black and white photo of a {c}.',
  'a blurry photo of a {c}.', 'a low resolution photo of a {c}.', 'clip art of a {c}.', 'an emoji of a {c}.', 'a doodle of a {c}.',
];

export function prunedVocabulary(texts: Iterable<string>, base: ClipTokenizer = ClipTokenizer.default()): { tokenizer: ClipTokenizer; idMap: Map<number, number>; kept: number } {
  const keep = new Set<number>();
  for (const t of texts) for (const id of base.encode(t)) keep.add(id);
  const { tokenizer, idMap } = base.pruned(keep);
  return { tokenizer, idMap, kept: keep.size };
}

/** Every prompt a stream's classes can produce with its templates and the generic ones. */
export function promptTexts(classes: readonly { classNames: readonly string[]; templates: readonly string[] }[]): string[] {
  const out: string[] = [];
  for (const c of classes) {
    for (const t of [...c.templates, ...GENERIC_TEMPLATES]) for (const n of c.classNames) out.push(fillTemplate(t, n));
  }
  return out;
}
