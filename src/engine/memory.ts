/**
 * Memory scopes. Every storage created inside `scope(fn)` is returned to its backend's pool when fn returns,
 * except the storages of the tensors fn returns and those passed to `keep()`; those move to the enclosing scope
 * (or become untracked at top level). A training step wrapped in a scope therefore allocates nothing new once the
 * pools are warm, and device memory is freed deterministically.
 *
 * Outside any scope storages are untracked: host memory is then reclaimed by the garbage collector and device
 * memory by the cuda backend's finalizers.
 */
import type { Backend, Storage } from './backend.js';

interface ScopeFrame {
  storages: Map<Storage, Backend>;
}

const stack: ScopeFrame[] = [];

/** Registers a new storage with the innermost scope (no-op outside scopes). */
export function track(s: Storage, backend: Backend): void {
  const top = stack[stack.length - 1];
  if (top) top.storages.set(s, backend);
}

/** Removes a storage from every scope, so that no scope releases it (parameters, optimiser state, grads). */
export function untrack(s: Storage): void {
  for (const f of stack) f.storages.delete(s);
}

interface HasStorage {
  storage: Storage;
  grad?: HasStorage | null;
}

/** Marks tensors (or anything holding tensors) as surviving the innermost scope: they move to the parent scope. */
export function keep<T>(value: T): T {
  const top = stack[stack.length - 1];
  if (!top) return value;
  const parent = stack[stack.length - 2];
  for (const s of storagesOf(value)) {
    const b = top.storages.get(s);
    if (b === undefined) continue;
    top.storages.delete(s);
    if (parent) parent.storages.set(s, b);
  }
  return value;
}

/**
 * Runs fn in a new scope. Synchronous functions only (async work would interleave scopes): use `scopeAsync` for
 * those, which must not run concurrently with other scoped code.
 */
export function scope<T>(fn: () => T): T {
  stack.push({ storages: new Map() });
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeTop(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    closeTop(undefined);
    throw new Error('scope(fn): fn returned a Promise; use scopeAsync');
  }
  closeTop(result);
  return result;
}

export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const depth = stack.length;
  stack.push({ storages: new Map() });
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    if (stack.length === depth + 1) closeTop(undefined);
    throw e;
  }
  if (stack.length !== depth + 1) throw new Error('scopeAsync: scopes were interleaved by concurrent async work');
  closeTop(result);
  return result;
}

function closeTop(result: unknown): void {
  const frame = stack.pop()!;
  const kept = new Set(storagesOf(result));
  const parent = stack[stack.length - 1];
  for (const [s, b] of frame.storages) {
    if (kept.has(s)) {
      if (parent) parent.storages.set(s, b);
    } else if (s.alive) {
      b.release(s);
    }
  }
}

/** Current scope depth (0 = no scope), for tests and diagnostics. */
export function scopeDepth(): number {
  return stack.length;
}

/** Finds every storage reachable from a value: tensors, arrays, Maps, plain objects (one level of nesting deep or more). */
function storagesOf(value: unknown, out: Storage[] = [], seen = new Set<unknown>()): Storage[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  const t = value as HasStorage;
  if (t.storage && typeof (t.storage as Storage).alive === 'boolean') {
    out.push(t.storage);
    if (t.grad) out.push(t.grad.storage);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) storagesOf(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) storagesOf(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) storagesOf(v, out, seen);
  }
  return out;
}

/** A buffer owned by the current scope (saved activations): released by the scope or by releaseNow. */
export function scratch(be: Backend, size: number, dtype: 'f32' | 'i32' = 'f32'): Storage {
  const s = be.alloc(dtype, size);
  track(s, be);
  return s;
}

/** Releases a tracked storage early (pooled storage objects are reused, so it must leave every scope first). */
export function releaseNow(be: Backend, s: Storage): void {
  untrack(s);
  if (s.alive) be.release(s);
}
