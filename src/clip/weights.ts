/**
 * CLIP weights in and out. Reads Hugging Face `CLIPModel` folders (config.json + model.safetensors or a sharded
 * index; f32/f16/bf16) and open_clip safetensors (OpenAI key names), each through an explicit key map with shape
 * checks; writes the Hugging Face layout, so a model adapted by mulki loads in Python transformers unchanged.
 *
 * Our parameter names are Hugging Face's, except that q_proj/k_proj/v_proj are stored fused as
 * self_attn.in_proj (rows: q, then k, then v), the layout open_clip uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../engine/backend.js';
import { readCheckpoint, resolveCheckpointPath, writeSafetensors, type StoredTensor, type TensorToWrite } from '../engine/io/safetensors.js';
import { writeJsonAtomic } from '../engine/io/atomic.js';
import { fromHfConfig, parseClipConfig, toHfConfig, type ClipConfig } from './config.js';
import { createClip, type ClipModel } from './model.js';

/** Keys that checkpoints may hold but that are not parameters (buffers), ignored on load. */
const IGNORED = [/\.position_ids$/, /(^|\.)attn_mask$/];

/** One of our parameters and where its values come from in a checkpoint. */
interface MapEntry {
  ours: string;
  /** Source keys; several are concatenated along the first axis (fused q/k/v). */
  keys: string[];
  /** Transpose a 2-D source (open_clip's [in, out] projections). */
  transpose?: boolean;
}

/** The Hugging Face key map for a model: identity except the fused input projections. */
export function hfKeyMap(model: ClipModel): MapEntry[] {
  return model.namedParameters().map(([name]) => {
    const m = /^(.*\.self_attn)\.in_proj\.(weight|bias)$/.exec(name);
    if (m) return { ours: name, keys: ['q_proj', 'k_proj', 'v_proj'].map((p) => `${m[1]}.${p}.${m[2]}`) };
    return { ours: name, keys: [name] };
  });
}

/** The open_clip (OpenAI names) key map for a model. */
export function openClipKeyMap(model: ClipModel): MapEntry[] {
  const rename = (name: string): MapEntry => {
    const blk = /^(vision|text)_model\.encoder\.layers\.(\d+)\.(.*)$/.exec(name);
    if (blk) {
      const pre = `${blk[1] === 'vision' ? 'visual.' : ''}transformer.resblocks.${blk[2]}.`;
      const rest = blk[3]!
        .replace(/^layer_norm1\./, 'ln_1.').replace(/^layer_norm2\./, 'ln_2.')
        .replace(/^self_attn\.in_proj\.(weight|bias)$/, 'attn.in_proj_$1')
        .replace(/^self_attn\.out_proj\./, 'attn.out_proj.')
        .replace(/^mlp\.fc1\./, 'mlp.c_fc.').replace(/^mlp\.fc2\./, 'mlp.c_proj.');
      return { ours: name, keys: [pre + rest] };
    }
    const table: Record<string, MapEntry> = {
      'vision_model.embeddings.class_embedding': { ours: name, keys: ['visual.class_embedding'] },
      'vision_model.embeddings.patch_embedding.weight': { ours: name, keys: ['visual.conv1.weight'] },
      'vision_model.embeddings.position_embedding.weight': { ours: name, keys: ['visual.positional_embedding'] },
      'vision_model.pre_layrnorm.weight': { ours: name, keys: ['visual.ln_pre.weight'] },
      'vision_model.pre_layrnorm.bias': { ours: name, keys: ['visual.ln_pre.bias'] },
      'vision_model.post_layernorm.weight': { ours: name, keys: ['visual.ln_post.weight'] },
      'vision_model.post_layernorm.bias': { ours: name, keys: ['visual.ln_post.bias'] },
      'visual_projection.weight': { ours: name, keys: ['visual.proj'], transpose: true },
      'text_model.embeddings.token_embedding.weight': { ours: name, keys: ['token_embedding.weight'] },
      'text_model.embeddings.position_embedding.weight': { ours: name, keys: ['positional_embedding'] },
      'text_model.final_layer_norm.weight': { ours: name, keys: ['ln_final.weight'] },
      'text_model.final_layer_norm.bias': { ours: name, keys: ['ln_final.bias'] },
      'text_projection.weight': { ours: name, keys: ['text_projection'], transpose: true },
      logit_scale: { ours: name, keys: ['logit_scale'] },
    };
    const e = table[name];
    if (!e) throw new Error(`open_clip key map: no rule for parameter '${name}'`);
    return e;
  };
  return model.namedParameters().map(([name]) => rename(name));
}

/**
 * Values for every parameter of `model` from a checkpoint's tensors through a key map. Missing, unexpected or
 * mis-shaped keys are errors that name the key and the file.
 */
export function mapCheckpoint(model: ClipModel, tensors: ReadonlyMap<string, StoredTensor>, map: MapEntry[], source: string): Map<string, Float32Array> {
  const params = model.stateDict();
  const used = new Set<string>();
  const out = new Map<string, Float32Array>();
  for (const e of map) {
    const p = params.get(e.ours)!;
    const parts = e.keys.map((k) => {
      const t = tensors.get(k);
      if (!t) throw new Error(`${source}: missing tensor '${k}' (for ${e.ours}, shape [${p.shape}])`);
      if (!(t.data instanceof Float32Array)) throw new Error(`${source}: tensor '${k}' has dtype ${t.dtype}, expected a float type`);
      used.add(k);
      return t;
    });
    // Expected shape of each part: the parameter's shape split along axis 0 (and transposed where flagged).
    const rows = p.shape.length ? p.shape[0]! / e.keys.length : 1;
    const partShape = p.shape.length ? [rows, ...p.shape.slice(1)] : [];
    const want = e.transpose ? [...partShape].reverse() : partShape;
    for (let i = 0; i < parts.length; i++) {
      const t = parts[i]!;
      const okScalar = want.length === 0 && t.data.length === 1 && t.shape.length <= 1;
      if (!okScalar && (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j]))) {
        throw new Error(`${source}: tensor '${e.keys[i]}' has shape [${t.shape}], expected [${want}] (for ${e.ours})`);
      }
    }
    let v: Float32Array;
    if (parts.length === 1) {
      const d = parts[0]!.data as Float32Array;
      v = e.transpose ? transpose2d(d, want[0]!, want[1]!) : d;
    } else {
      v = new Float32Array(p.size);
      let off = 0;
      for (const t of parts) {
        v.set(t.data as Float32Array, off);
        off += t.data.length;
      }
    }
    out.set(e.ours, v);
  }
  const extra = [...tensors.keys()].filter((k) => !used.has(k) && !IGNORED.some((r) => r.test(k)));
  if (extra.length) {
    throw new Error(`${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).map((k) => `'${k}'`).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''} (not part of this architecture)`);
  }
  return out;
}

function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Reads a model folder's architecture: our mulki.json if present, else a Hugging Face config.json. */
export function readModelConfig(dir: string): ClipConfig {
  const ours = join(dir, 'mulki.json');
  const hf = join(dir, 'config.json');
  const parse = (p: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${p}: not valid JSON: ${(e as Error).message}`);
    }
  };
  if (existsSync(ours)) return parseClipConfig((parse(ours) as { architecture?: unknown }).architecture ?? parse(ours), ours);
  if (existsSync(hf)) return fromHfConfig(parse(hf), hf);
  throw new Error(`${dir}: no config.json (Hugging Face CLIPModel folder expected)`);
}

/** Infers an architecture from open_clip (OpenAI-named) weights. */
export function inferOpenClipConfig(t: ReadonlyMap<string, StoredTensor>, source: string): ClipConfig {
  const get = (k: string): StoredTensor => {
    const v = t.get(k);
    if (!v) throw new Error(`${source}: missing '${k}' (not an open_clip CLIP checkpoint?)`);
    return v;
  };
  const count = (prefix: string): number => {
    let n = 0;
    for (const k of t.keys()) {
      const m = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.`).exec(k);
      if (m) n = Math.max(n, Number(m[1]) + 1);
    }
    return n;
  };
  const conv = get('visual.conv1.weight').shape;
  const vw = conv[0]!;
  const patch = conv[2]!;
  const vTokens = get('visual.positional_embedding').shape[0]!;
  const grid = Math.round(Math.sqrt(vTokens - 1));
  const tw = get('ln_final.weight').shape[0]!;
  const vocab = get('token_embedding.weight').shape[0]!;
  const ctx = get('positional_embedding').shape[0]!;
  const embed = get('text_projection').shape[1]!;
  return parseClipConfig({
    embedDim: embed,
    vision: { imageSize: grid * patch, patchSize: patch, width: vw, layers: count('visual.transformer.resblocks.'), heads: vw / 64,
      mlpWidth: get('visual.transformer.resblocks.0.mlp.c_fc.weight').shape[0]!, act: 'quick_gelu', eps: 1e-5 },
    text: { contextLength: ctx, vocabSize: vocab, width: tw, layers: count('transformer.resblocks.'), heads: tw / 64,
      mlpWidth: get('transformer.resblocks.0.mlp.c_fc.weight').shape[0]!, act: 'quick_gelu', eps: 1e-5,
      bosTokenId: vocab - 2, eosTokenId: vocab - 1, padTokenId: 0, pooling: 'argmax' },
  }, source);
}

export interface LoadOptions {
  /** Architecture to use instead of the folder's config (required for nothing; open_clip files are inferred). */
  config?: ClipConfig;
}

/**
 * Loads a CLIP from a Hugging Face folder, a .safetensors file (HF or open_clip names) or a sharded index.
 */
export function loadClip(backend: Backend, path: string, opts: LoadOptions = {}): ClipModel {
  const file = resolveCheckpointPath(path);
  const tensors = readCheckpoint(file);
  const isOpenClip = tensors.has('visual.conv1.weight');
  const dir = file === path ? join(path, '..') : path;
  const config = opts.config ?? (isOpenClip && !existsSync(join(dir, 'config.json')) && !existsSync(join(path, 'config.json'))
    ? inferOpenClipConfig(tensors, file)
    : readModelConfig(existsSync(join(path, 'config.json')) || existsSync(join(path, 'mulki.json')) ? path : dir));
  const model = createClip(backend, config, 0);
  const map = isOpenClip ? openClipKeyMap(model) : hfKeyMap(model);
  model.loadStateArrays(mapCheckpoint(model, tensors, map, file), true, file);
  return model;
}

export interface SaveOptions {
  /** Float storage type (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Extra metadata stored in the safetensors header. */
  metadata?: Record<string, string>;
}

/** Writes model.safetensors + config.json in the Hugging Face CLIPModel layout (atomically, file by file). */
export function saveClip(model: ClipModel, dir: string, opts: SaveOptions = {}): void {
  const state = model.stateArrays();
  const out = new Map<string, TensorToWrite>();
  for (const e of hfKeyMap(model)) {
    const v = state.get(e.ours)!;
    const p = model.stateDict().get(e.ours)!;
    if (e.keys.length === 1) {
      out.set(e.keys[0]!, { shape: [...p.shape], data: v });
      continue;
    }
    const rows = p.shape[0]! / e.keys.length;
    const per = v.length / e.keys.length;
    e.keys.forEach((k, i) => out.set(k, { shape: [rows, ...p.shape.slice(1)], data: v.slice(i * per, (i + 1) * per) }));
  }
  writeSafetensors(join(dir, 'model.safetensors'), out, { dtype: opts.dtype ?? 'F32', metadata: { format: 'pt', ...opts.metadata } });
  writeJsonAtomic(join(dir, 'config.json'), toHfConfig(model.config));
}
