/** Creating tensors: from host data, constants, random values; moving between devices; parameters. */
import type { Backend, DeviceName, DType } from '../backend.js';
import { getBackend } from '../device.js';
import { untrack } from '../memory.js';
import type { Rng } from '../rng.js';
import { Tensor, empty, sizeOf, wrap, type Shape } from '../tensor.js';

export interface TensorOptions {
  device?: DeviceName | Backend;
  dtype?: DType;
  requiresGrad?: boolean;
  name?: string;
}

export function backendOf(device?: DeviceName | Backend): Backend {
  if (device === undefined) return getBackend();
  return typeof device === 'string' ? getBackend(device) : device;
}

/** A tensor holding a copy of `data` (shape defaults to [data.length]). */
export function tensor(data: ArrayLike<number>, shape?: Shape, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  const sh = shape ?? [data.length];
  if (sizeOf(sh) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape [${sh}]`);
  const host = dtype === 'f32'
    ? (data instanceof Float32Array ? data : Float32Array.from(data))
    : (data instanceof Int32Array ? data : Int32Array.from(data));
  const be = backendOf(opts.device);
  const t = wrap(be.upload(host), sh, be);
  if (host instanceof Int32Array) t.hostCopy = host === data ? host.slice() : host;
  return finish(t, opts);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const be = backendOf(opts.device);
  const t = empty(be, shape, opts.dtype ?? 'f32');
  be.fill(t.storage, value);
  return finish(t, opts);
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Normal(0, std^2) values drawn from rng (host-side, so every device gets the same numbers). */
export function randn(shape: Shape, rng: Rng, std = 1, opts: TensorOptions = {}): Tensor {
  const a = new Float32Array(sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
  return tensor(a, shape, opts);
}

/** Uniform [lo, hi) values drawn from rng. */
export function uniform(shape: Shape, rng: Rng, lo: number, hi: number, opts: TensorOptions = {}): Tensor {
  const a = new Float32Array(sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = rng.range(lo, hi);
  return tensor(a, shape, opts);
}

/** A copy of t on another device (no gradient history). */
export function toDevice(t: Tensor, device: DeviceName | Backend): Tensor {
  const be = backendOf(device);
  if (be === t.backend) return t;
  return wrap(be.upload(t.toArray()), t.shape, be);
}

/**
 * Turns a tensor into a trainable leaf: requiresGrad, untracked by memory scopes (it lives until dropped).
 */
export function parameter(t: Tensor, name?: string): Tensor {
  untrack(t.storage);
  const p = new Tensor(t.storage, t.shape, t.backend);
  p.requiresGrad = true;
  p.name = name ?? t.name;
  return p;
}

/** Like parameter() but frozen (buffers, teacher weights). */
export function persistent(t: Tensor, name?: string): Tensor {
  untrack(t.storage);
  const p = new Tensor(t.storage, t.shape, t.backend);
  p.name = name ?? t.name;
  return p;
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.name) t.name = opts.name;
  if (opts.requiresGrad) return parameter(t, opts.name);
  return t;
}
