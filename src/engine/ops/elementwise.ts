/** Elementwise ops with NumPy broadcasting, and their gradients (summed back over broadcast axes). */
import type { Backend, BinaryOp, Storage, UnaryOp } from '../backend.js';
import { GradSink, record } from '../tape.js';
import { Tensor, empty, type Shape } from '../tensor.js';
import { broadcastShapes, broadcastStrides, common, padShape, sameShape, stridesOf } from './util.js';

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const be = common(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(be, shape);
  be.binary(op, a.storage, broadcastStrides(a.shape, shape), b.storage, broadcastStrides(b.shape, shape), out.storage, shape);
  return record(out, op, [a, b], (g, sink) => {
    if (a.requiresGrad) {
      if (op === 'add' || op === 'sub') reduceInto(sink, a, g.storage, shape);
      else withTemp(be, shape, (t) => {
        // mul: g * b; div: g / b
        be.binary(op, g.storage, stridesOf(shape), b.storage, broadcastStrides(b.shape, shape), t, shape);
        reduceInto(sink, a, t, shape);
      });
    }
    if (b.requiresGrad) {
      if (op === 'add') reduceInto(sink, b, g.storage, shape);
      else withTemp(be, shape, (t) => {
        const n = g.size;
        if (op === 'sub') be.affine(g.storage, -1, 0, t, n);
        else if (op === 'mul') be.binary('mul', g.storage, stridesOf(shape), a.storage, broadcastStrides(a.shape, shape), t, shape);
        else {
          // d(a/b)/db = -(a/b)/b = -out/b
          be.binary('mul', g.storage, stridesOf(shape), out.storage, stridesOf(shape), t, shape);
          be.binary('div', t, stridesOf(shape), b.storage, broadcastStrides(b.shape, shape), t, shape);
          be.affine(t, -1, 0, t, n);
        }
        reduceInto(sink, b, t, shape);
      });
    }
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary('div', a, b);

/** alpha * x + beta. */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  const be = common('affine', x);
  const out = empty(be, x.shape);
  be.affine(x.storage, alpha, beta, out.storage, x.size);
  return record(out, 'affine', [x], (g, sink) => {
    const t = sink.target(x)!;
    if (t.acc) be.axpy(alpha, g.storage, 0, t.s, 0, x.size);
    else be.affine(g.storage, alpha, 0, t.s, x.size);
  });
}

export const scale = (x: Tensor, alpha: number): Tensor => affine(x, alpha, 0);
export const addScalar = (x: Tensor, beta: number): Tensor => affine(x, 1, beta);
export const neg = (x: Tensor): Tensor => affine(x, -1, 0);

function unary(op: UnaryOp, x: Tensor, grad: ((be: Backend, g: Storage, y: Storage, tmp: Storage, n: number) => void) | null): Tensor {
  const be = common(op, x);
  const out = empty(be, x.shape);
  be.unary(op, x.storage, out.storage, x.size);
  if (!grad) {
    if (x.requiresGrad) return record(out, op, [x], () => {
      throw new Error(`${op} has no gradient`);
    });
    return out;
  }
  return record(out, op, [x], (g, sink) => {
    sink.write(x, (t) => grad(be, g.storage, out.storage, t, x.size));
  });
}

const flat = (n: number): number[] => [n];
const s1 = [1];

/** e^x; gradient g * e^x. */
export const exp = (x: Tensor): Tensor => unary('exp', x, (be, g, y, t, n) => be.binary('mul', g, s1, y, s1, t, flat(n)));
/** ln x; gradient g / x. */
export function log(x: Tensor): Tensor {
  return unary('log', x, (be, g, _y, t, n) => be.binary('div', g, s1, x.storage, s1, t, flat(n)));
}
/** sqrt x; gradient g / (2 sqrt x). */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (be, g, y, t, n) => {
  be.binary('div', g, s1, y, s1, t, flat(n));
  be.affine(t, 0.5, 0, t, n);
});
/** x^2; gradient 2 x g. */
export function square(x: Tensor): Tensor {
  return unary('square', x, (be, g, _y, t, n) => {
    be.binary('mul', g, s1, x.storage, s1, t, flat(n));
    be.affine(t, 2, 0, t, n);
  });
}
/** 1/x; gradient -g / x^2 = -g y^2. */
export const recip = (x: Tensor): Tensor => unary('recip', x, (be, g, y, t, n) => {
  be.binary('mul', g, s1, y, s1, t, flat(n));
  be.binary('mul', t, s1, y, s1, t, flat(n));
  be.affine(t, -1, 0, t, n);
});
/** 1/sqrt x; gradient -g y^3 / 2. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x, (be, g, y, t, n) => {
  be.binary('mul', g, s1, y, s1, t, flat(n));
  be.binary('mul', t, s1, y, s1, t, flat(n));
  be.binary('mul', t, s1, y, s1, t, flat(n));
  be.affine(t, -0.5, 0, t, n);
});
/** |x| (no gradient). */
export const abs = (x: Tensor): Tensor => unary('abs', x, null);

/** x broadcast to `shape` (a copy). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const be = common('expand', x);
  const outShape = broadcastShapes('expand', x.shape, shape);
  if (!sameShape(outShape, shape)) throw new Error(`expand: [${x.shape}] cannot expand to [${shape}]`);
  const out = empty(be, shape);
  broadcastInto(be, x.storage, x.shape, shape, out.storage, 1);
  return record(out, 'expand', [x], (g, sink) => reduceInto(sink, x, g.storage, shape));
}

/** dst (full shape) = factor * src broadcast from srcShape. */
export function broadcastInto(be: Backend, src: Storage, srcShape: Shape, shape: Shape, dst: Storage, factor: number): void {
  const f = be.alloc('f32', 1);
  be.fill(f, factor);
  be.binary('mul', src, broadcastStrides(srcShape, shape), f, shape.map(() => 0), dst, shape);
  be.release(f);
}

/** Adds gradient g (of the broadcast output shape) into t's gradient, summing over broadcast axes. */
export function reduceInto(sink: GradSink, t: Tensor, g: Storage, shape: Shape): void {
  const be = t.backend;
  if (sameShape(t.shape, shape) || t.size === sizeOfShape(shape)) {
    const tgt = sink.target(t);
    if (!tgt) return;
    if (tgt.acc) be.axpy(1, g, 0, tgt.s, 0, t.size);
    else be.copy(g, 0, tgt.s, 0, t.size);
    return;
  }
  const tgt = sink.target(t);
  if (!tgt) return;
  be.sumTo(g, shape, tgt.s, padShape(t.shape, shape.length), tgt.acc);
}

function sizeOfShape(s: Shape): number {
  return s.reduce((a, b) => a * b, 1);
}

/** Runs fn with a temporary f32 buffer of the given shape. */
export function withTemp(be: Backend, shape: Shape, fn: (s: Storage) => void): void {
  const t = be.alloc('f32', sizeOfShape(shape));
  try {
    fn(t);
  } finally {
    be.release(t);
  }
}
