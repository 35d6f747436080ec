/**
 * Reverse-mode autograd. An op whose inputs require grad records a TapeNode on its output: the inputs and a
 * backward function. `backward(loss)` orders the nodes reachable from the loss topologically and runs each
 * backward function once, in reverse, handing it the output's gradient and a GradSink through which it writes
 * its inputs' gradients.
 *
 * Gradients are written straight into their final buffers: the first contribution to a tensor's gradient
 * overwrites a fresh buffer, later ones accumulate (kernels take an `accumulate` flag). Leaf tensors (parameters)
 * keep their gradient in `.grad`, outside every memory scope; intermediate gradients and the nodes' saved buffers
 * are released as soon as they have been used.
 */
import type { Storage } from './backend.js';
import { Tensor, sizeOf } from './tensor.js';
import { track, untrack } from './memory.js';

export interface TapeNode {
  /** Op name, for error messages and profiling. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Writes the gradients of the inputs given the output's gradient g. */
  backward(g: Tensor, sink: GradSink): void;
  /** Buffers private to this node (saved activations), released right after its backward ran. */
  readonly saved?: readonly Storage[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (teachers, evaluation). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export async function noGradAsync<T>(fn: () => Promise<T>): Promise<T> {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return await fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/** Attaches a node to an op's output when recording is needed. Returns the output. */
export function record(out: Tensor, op: string, inputs: readonly (Tensor | null | undefined)[],
  backward: (g: Tensor, sink: GradSink) => void, saved?: readonly Storage[]): Tensor {
  const ins = inputs.filter((t): t is Tensor => !!t);
  if (!needsGrad(...ins)) return out;
  out.requiresGrad = true;
  out.node = { op, inputs: ins, backward, saved };
  return out;
}

/** Detached view of a tensor: same storage, no history, no grad. */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.storage, t.shape, t.backend);
}

/** Where a backward function writes gradients. */
export class GradSink {
  private grads = new Map<Tensor, Tensor>();

  /**
   * The gradient buffer of t and whether a kernel must accumulate into it (false: first contribution,
   * overwrite). Null when t needs no gradient.
   */
  target(t: Tensor): { s: Storage; acc: boolean } | null {
    if (!t.requiresGrad) return null;
    if (!t.node) {
      // Leaf: the gradient lives in t.grad, outside any scope.
      if (t.grad) return { s: t.grad.storage, acc: true };
      const s = t.backend.alloc('f32', t.size);
      t.grad = new Tensor(s, t.shape, t.backend);
      return { s, acc: false };
    }
    const g = this.grads.get(t);
    if (g) return { s: g.storage, acc: true };
    const s = t.backend.alloc('f32', t.size);
    track(s, t.backend);
    this.grads.set(t, new Tensor(s, t.shape, t.backend));
    return { s, acc: false };
  }

  /**
   * For kernels that can only overwrite: runs write(s) on the gradient buffer directly when this is the first
   * contribution, otherwise on a temporary that is then added in.
   */
  write(t: Tensor, write: (s: Storage) => void): void {
    const tgt = this.target(t);
    if (!tgt) return;
    if (!tgt.acc) {
      write(tgt.s);
      return;
    }
    const tmp = t.backend.alloc('f32', t.size);
    write(tmp);
    t.backend.axpy(1, tmp, 0, tgt.s, 0, t.size);
    t.backend.release(tmp);
  }

  /** Adds (or copies, for the first contribution) a gradient given as a tensor of t's size. */
  add(t: Tensor, g: Tensor): void {
    const tgt = this.target(t);
    if (!tgt) return;
    if (tgt.acc) t.backend.axpy(1, g.storage, 0, tgt.s, 0, t.size);
    else t.backend.copy(g.storage, 0, tgt.s, 0, t.size);
  }

  /** @internal */
  take(t: Tensor): Tensor | undefined {
    const g = this.grads.get(t);
    this.grads.delete(t);
    return g;
  }

  /** @internal */
  seed(t: Tensor, g: Tensor): void {
    this.grads.set(t, g);
  }
}

/**
 * Backpropagates from `loss` (a one-element tensor unless `grad` is given) into every leaf that requires grad.
 * Leaves accumulate into existing `.grad` buffers (zero them or set them to null between steps).
 */
export function backward(loss: Tensor, grad?: Tensor): void {
  if (!loss.requiresGrad) throw new Error(`backward: ${loss} does not require grad (no trainable input, or under noGrad)`);
  const be = loss.backend;
  let seed: Tensor;
  if (grad) {
    if (sizeOf(grad.shape) !== loss.size) throw new Error(`backward: gradient shape [${grad.shape}] != [${loss.shape}]`);
    seed = grad;
  } else {
    if (loss.size !== 1) throw new Error(`backward: loss must have one element, got shape [${loss.shape}]`);
    const s = be.alloc('f32', 1);
    track(s, be);
    be.fill(s, 1);
    seed = new Tensor(s, loss.shape, be);
  }

  const order = topoOrder(loss);
  const sink = new GradSink();
  if (!loss.node) {
    sink.add(loss, seed);
    return;
  }
  sink.seed(loss, seed);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const node = t.node!;
    const g = sink.take(t);
    if (!g) continue; // no gradient flowed into this tensor
    node.backward(g, sink);
    if (g !== seed && g.storage.alive) {
      untrack(g.storage);
      be.release(g.storage);
    }
    if (node.saved) {
      for (const s of node.saved) {
        if (s.alive) {
          untrack(s);
          t.backend.release(s);
        }
      }
    }
    t.node = null; // the graph is consumed: a second backward through it is an error
    t.requiresGrad = false;
  }
}

/** Non-leaf tensors reachable from root, each after all tensors it depends on. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS (graphs of deep models would overflow the call stack).
  const stack: { t: Tensor; i: number }[] = [{ t: root, i: 0 }];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const inputs = top.t.node ? top.t.node.inputs : [];
    if (top.i < inputs.length) {
      const next = inputs[top.i++]!;
      if (next.node && next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push({ t: next, i: 0 });
      }
    } else {
      stack.pop();
      if (top.t.node) order.push(top.t);
    }
  }
  return order;
}
