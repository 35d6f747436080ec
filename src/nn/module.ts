/**
 * Module: a named tree of parameters (and child modules), as in PyTorch. Names are the state-dict keys
 * ("encoder.layers.0.mlp.fc1.weight"); parameters are leaf tensors that live outside memory scopes.
 */
import type { Backend } from '../engine/backend.js';
import { parameter } from '../engine/ops/create.js';
import { Tensor } from '../engine/tensor.js';

export class Module {
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  training = true;

  /** Registers a parameter (trainable unless requiresGrad is set to false later). */
  protected param(name: string, t: Tensor): Tensor {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate parameter name '${name}'`);
    const p = parameter(t, name);
    this.ownParams.set(name, p);
    return p;
  }

  protected child<M extends Module>(name: string, m: M): M {
    if (this.ownParams.has(name) || this.children.has(name)) throw new Error(`duplicate child name '${name}'`);
    this.children.set(name, m);
    return m;
  }

  /** (full name, tensor) pairs in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.ownParams) out.push([prefix + n, p]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Gives every parameter its full name (used in error messages and optimizer state keys). */
  nameParameters(): this {
    for (const [n, p] of this.namedParameters()) p.name = n;
    return this;
  }

  /** Number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((a, p) => a + p.size, 0);
  }

  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter whose name passes the filter (all by default). */
  setTrainable(on: boolean, filter: (name: string) => boolean = () => true): this {
    for (const [n, p] of this.namedParameters()) if (filter(n)) p.requiresGrad = on;
    return this;
  }

  /** Parameters by name. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /** Host copies of every parameter, by name. */
  stateArrays(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const [n, p] of this.namedParameters()) m.set(n, p.toArray() as Float32Array);
    return m;
  }

  /**
   * Copies values into the parameters (same storages: optimizer state stays attached). Every parameter must be
   * present with its exact size; extra keys are an error unless strict is false.
   */
  loadStateArrays(values: ReadonlyMap<string, Float32Array>, strict = true, source = 'state dict'): void {
    const own = this.stateDict();
    for (const [n, p] of own) {
      const v = values.get(n);
      if (!v) throw new Error(`${source}: missing parameter '${n}' (shape [${p.shape}])`);
      if (v.length !== p.size) throw new Error(`${source}: '${n}' has ${v.length} values, expected ${p.size} (shape [${p.shape}])`);
      writeInto(p, v);
    }
    if (strict) for (const n of values.keys()) if (!own.has(n)) throw new Error(`${source}: unexpected parameter '${n}'`);
  }

  /** Copies every parameter from a module of identical structure, device to device. */
  copyFrom(other: Module): void {
    const src = other.stateDict();
    for (const [n, p] of this.namedParameters()) {
      const q = src.get(n);
      if (!q || q.size !== p.size) throw new Error(`copyFrom: parameter '${n}' missing or of another size in the source`);
      p.backend.copy(q.storage, 0, p.storage, 0, p.size);
    }
  }
}

/** Overwrites a tensor's elements with host values. */
export function writeInto(t: Tensor, v: Float32Array | Int32Array): void {
  const be: Backend = t.backend;
  const tmp = be.upload(v);
  be.copy(tmp, 0, t.storage, 0, t.size);
  be.release(tmp);
}
