/**
 * CLIP architectures as data. A config names every size the model factory needs; the shipped ones live in
 * assets/configs/*.json (OpenAI ViT-B/32, ViT-B/16, ViT-L/14, and small ones). Hugging Face config.json files
 * convert to and from this form.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { ActKind } from '../engine/backend.js';
import { assetPath, readJsonAsset } from '../assets.js';

export interface VisionConfig {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  act: ActKind;
  eps: number;
}

export interface TextConfig {
  contextLength: number;
  vocabSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  act: ActKind;
  eps: number;
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  /** 'argmax': pool at argmax(ids) (OpenAI; EOT is the largest id); 'eos': at the first eosTokenId. */
  pooling: 'argmax' | 'eos';
}

export interface ClipConfig {
  name?: string;
  embedDim: number;
  vision: VisionConfig;
  text: TextConfig;
  /** Initial value of the learnable log logit scale (ln(1/0.07) = 2.6592). */
  logitScaleInit: number;
}

const ACTS: readonly ActKind[] = ['gelu', 'gelu_tanh', 'quick_gelu', 'relu'];

/** Validates a config object (e.g. parsed JSON) and fills defaults; errors name the source and the field. */
export function parseClipConfig(raw: unknown, source = 'config'): ClipConfig {
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new Error(`${source}: not a JSON object`);
  const num = (obj: Record<string, unknown>, key: string, where: string, def?: number): number => {
    const v = obj[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${source}: ${where}.${key} must be a number, got ${JSON.stringify(obj[key])}`);
    return v;
  };
  const posInt = (obj: Record<string, unknown>, key: string, where: string, def?: number): number => {
    const v = num(obj, key, where, def);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${source}: ${where}.${key} must be a positive integer, got ${v}`);
    return v;
  };
  const act = (obj: Record<string, unknown>, where: string): ActKind => {
    const v = (obj.act ?? 'quick_gelu') as ActKind;
    if (!ACTS.includes(v)) throw new Error(`${source}: ${where}.act must be one of ${ACTS.join(', ')}, got ${JSON.stringify(v)}`);
    return v;
  };
  const v = o.vision as Record<string, unknown>;
  const t = o.text as Record<string, unknown>;
  if (!v || typeof v !== 'object') throw new Error(`${source}: missing "vision" section`);
  if (!t || typeof t !== 'object') throw new Error(`${source}: missing "text" section`);
  const vision: VisionConfig = {
    imageSize: posInt(v, 'imageSize', 'vision'),
    patchSize: posInt(v, 'patchSize', 'vision'),
    width: posInt(v, 'width', 'vision'),
    layers: posInt(v, 'layers', 'vision'),
    heads: posInt(v, 'heads', 'vision'),
    mlpWidth: posInt(v, 'mlpWidth', 'vision', 4 * (v.width as number)),
    act: act(v, 'vision'),
    eps: num(v, 'eps', 'vision', 1e-5),
  };
  const vocabSize = posInt(t, 'vocabSize', 'text');
  const text: TextConfig = {
    contextLength: posInt(t, 'contextLength', 'text'),
    vocabSize,
    width: posInt(t, 'width', 'text'),
    layers: posInt(t, 'layers', 'text'),
    heads: posInt(t, 'heads', 'text'),
    mlpWidth: posInt(t, 'mlpWidth', 'text', 4 * (t.width as number)),
    act: act(t, 'text'),
    eps: num(t, 'eps', 'text', 1e-5),
    bosTokenId: num(t, 'bosTokenId', 'text', vocabSize - 2),
    eosTokenId: num(t, 'eosTokenId', 'text', vocabSize - 1),
    padTokenId: num(t, 'padTokenId', 'text', 0),
    pooling: (t.pooling ?? 'argmax') as 'argmax' | 'eos',
  };
  if (text.pooling !== 'argmax' && text.pooling !== 'eos') throw new Error(`${source}: text.pooling must be "argmax" or "eos"`);
  if (vision.imageSize % vision.patchSize !== 0) throw new Error(`${source}: vision.imageSize ${vision.imageSize} is not a multiple of patchSize ${vision.patchSize}`);
  if (vision.width % vision.heads !== 0) throw new Error(`${source}: vision.width ${vision.width} is not divisible by ${vision.heads} heads`);
  if (text.width % text.heads !== 0) throw new Error(`${source}: text.width ${text.width} is not divisible by ${text.heads} heads`);
  return {
    name: typeof o.name === 'string' ? o.name : undefined,
    embedDim: posInt(o, 'embedDim', 'config'),
    vision,
    text,
    logitScaleInit: num(o, 'logitScaleInit', 'config', Math.log(1 / 0.07)),
  };
}

/** Names of the shipped architectures (assets/configs/<name>.json). */
export function listConfigs(): string[] {
  const dir = assetPath('configs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** A shipped architecture by name, e.g. "ViT-B-16". */
export function loadConfig(name: string): ClipConfig {
  const known = listConfigs();
  if (!known.includes(name)) throw new Error(`unknown architecture '${name}'; known: ${known.join(', ')}`);
  return parseClipConfig(readJsonAsset(`configs`, `${name}.json`), `assets/configs/${name}.json`);
}

/** Number of tokens the vision tower sees (patches + class token). */
export function visionTokens(v: VisionConfig): number {
  return (v.imageSize / v.patchSize) ** 2 + 1;
}

type HfDict = Record<string, unknown>;

/** Hugging Face CLIPConfig (config.json) -> ClipConfig. */
export function fromHfConfig(hf: HfDict, source = 'config.json'): ClipConfig {
  const vc = (hf.vision_config ?? {}) as HfDict;
  const tc = (hf.text_config ?? {}) as HfDict;
  const need = (d: HfDict, k: string, where: string): number => {
    const v = d[k];
    if (typeof v !== 'number') throw new Error(`${source}: ${where}.${k} is missing or not a number`);
    return v;
  };
  const actOf = (d: HfDict): ActKind => {
    const a = (d.hidden_act ?? 'quick_gelu') as string;
    if (a === 'gelu_new' || a === 'gelu_pytorch_tanh') return 'gelu_tanh';
    if (a === 'gelu' || a === 'quick_gelu' || a === 'relu') return a;
    throw new Error(`${source}: unsupported hidden_act '${a}'`);
  };
  const eos = (tc.eos_token_id as number | undefined) ?? 2;
  const vocab = (tc.vocab_size as number | undefined) ?? 49408;
  return parseClipConfig({
    embedDim: need(hf, 'projection_dim', 'config'),
    logitScaleInit: (hf.logit_scale_init_value as number | undefined) ?? 2.6592,
    vision: {
      imageSize: (vc.image_size as number | undefined) ?? 224,
      patchSize: (vc.patch_size as number | undefined) ?? 32,
      width: (vc.hidden_size as number | undefined) ?? 768,
      layers: (vc.num_hidden_layers as number | undefined) ?? 12,
      heads: (vc.num_attention_heads as number | undefined) ?? 12,
      mlpWidth: (vc.intermediate_size as number | undefined) ?? 3072,
      act: actOf(vc),
      eps: (vc.layer_norm_eps as number | undefined) ?? 1e-5,
    },
    text: {
      contextLength: (tc.max_position_embeddings as number | undefined) ?? 77,
      vocabSize: vocab,
      width: (tc.hidden_size as number | undefined) ?? 512,
      layers: (tc.num_hidden_layers as number | undefined) ?? 12,
      heads: (tc.num_attention_heads as number | undefined) ?? 8,
      mlpWidth: (tc.intermediate_size as number | undefined) ?? 2048,
      act: actOf(tc),
      eps: (tc.layer_norm_eps as number | undefined) ?? 1e-5,
      bosTokenId: (tc.bos_token_id as number | undefined) ?? vocab - 2,
      // transformers: eos_token_id == 2 is the legacy setting that pools at argmax(input_ids).
      eosTokenId: eos === 2 ? vocab - 1 : eos,
      padTokenId: (tc.pad_token_id as number | undefined) ?? 1,
      pooling: eos === 2 ? 'argmax' : 'eos',
    },
  }, source);
}

/**
 * ClipConfig -> Hugging Face CLIPConfig (config.json), loadable by transformers' CLIPModel. Float fields whose value
 * is integral (initializer_factor 1.0, attention_dropout 0.0) are left to their defaults: JSON writes them as
 * integers, which transformers 5 rejects for float fields.
 */
export function toHfConfig(c: ClipConfig): HfDict {
  const hfAct = (a: ActKind): string => (a === 'gelu_tanh' ? 'gelu_pytorch_tanh' : a);
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: c.embedDim,
    logit_scale_init_value: c.logitScaleInit,
    torch_dtype: 'float32',
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: c.text.vocabSize,
      hidden_size: c.text.width,
      intermediate_size: c.text.mlpWidth,
      num_hidden_layers: c.text.layers,
      num_attention_heads: c.text.heads,
      max_position_embeddings: c.text.contextLength,
      hidden_act: hfAct(c.text.act),
      layer_norm_eps: c.text.eps,
      bos_token_id: c.text.bosTokenId,
      eos_token_id: c.text.pooling === 'argmax' ? 2 : c.text.eosTokenId,
      pad_token_id: c.text.padTokenId,
      projection_dim: c.embedDim,
      initializer_range: 0.02,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      image_size: c.vision.imageSize,
      patch_size: c.vision.patchSize,
      num_channels: 3,
      hidden_size: c.vision.width,
      intermediate_size: c.vision.mlpWidth,
      num_hidden_layers: c.vision.layers,
      num_attention_heads: c.vision.heads,
      hidden_act: hfAct(c.vision.act),
      layer_norm_eps: c.vision.eps,
      projection_dim: c.embedDim,
      initializer_range: 0.02,
    },
  };
}
