/**
 * The Method interface: a continual-learning method is a set of hooks on the one shared training loop
 * (trainer.ts), never a loop of its own (mammoth's design). Per task: beginTask -> for each step: loss ->
 * (backward, optimiser step by the trainer) -> afterStep -> endTask (may replace the weights, e.g. by an
 * average) -> evaluation by the trainer.
 */
import type { Backend } from '../engine/backend.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { ClipModel } from '../clip/model.js';
import type { TextTokenizer } from '../clip/zeroshot.js';
import type { Task } from './stream.js';

/** One training batch: normalised images [B, 3, S, S] and labels [B] (i32, task-local class ids). */
export interface Batch {
  images: Tensor;
  labels: Tensor;
  /** Host copy of the labels (for methods that group by class). */
  labelsHost: Int32Array;
}

/** What a method sees: the student, the frozen initial model, the task, and shared services. */
export interface MethodContext {
  readonly backend: Backend;
  /** The model being trained. */
  readonly student: ClipModel;
  /** The frozen pre-trained model (T0), created on first use; counted as extra storage. */
  initial(): ClipModel;
  readonly tokenizer: TextTokenizer;
  readonly task: Task;
  readonly taskIndex: number;
  /** Steps of this task, and the current one (0-based; during loss() it is the step being computed). */
  readonly totalSteps: number;
  readonly step: number;
  /** Training prompts of the task's classes (first template). */
  readonly classPrompts: readonly string[];
  /** The fixed logit scale of the recipe (100). */
  readonly logitScale: number;
  readonly labelSmoothing: number;
  readonly rng: Rng;
  /** Cost accounting reported in results.json. */
  readonly cost: { teacherForwards: number; extraStorageBytes: number };
  /** Optional reference data (ZSCL): images with captions. */
  readonly reference: ReferenceData | null;
  /** Training images of the task in evaluation mode (prototype computation), in batches. */
  trainImages(opts: { perClassCap?: number; batchSize?: number }): AsyncIterable<{ images: Tensor; labels: Int32Array }>;
  log(message: string): void;
}

export interface ReferenceData {
  /** Next batch of reference images [B, 3, S, S] with their captions. */
  next(batchSize: number): Promise<{ images: Tensor; captions: string[] }>;
}

export interface LossOutput {
  total: Tensor;
  /** Named terms (scalars), for progress display and NaN diagnosis. */
  terms: Record<string, Tensor>;
}

/** Serialisable method state (for checkpoints): JSON plus named host tensors. */
export interface MethodState {
  json: unknown;
  tensors: Map<string, Float32Array>;
}

export interface Method {
  readonly name: string;
  /** False for methods that never train (zero-shot). */
  readonly trains: boolean;
  beginTask(ctx: MethodContext): Promise<void> | void;
  /** Loss of one batch; called inside a memory scope with gradients on. */
  loss(batch: Batch, ctx: MethodContext): Promise<LossOutput> | LossOutput;
  afterStep(ctx: MethodContext): void;
  endTask(ctx: MethodContext): Promise<void> | void;
  /** Everything needed to continue the current task from this step (mid-task checkpoints). */
  saveState(): MethodState;
  /**
   * Resuming in the middle of a task: called INSTEAD of beginTask, with the state saveState gave at that point;
   * must rebuild everything beginTask built plus the per-step state. (At task boundaries no method state is
   * needed: the next task's beginTask starts from the restored student.)
   */
  loadState(state: MethodState, ctx: MethodContext): Promise<void> | void;
  /** Options as resolved (recorded in results.json). */
  readonly options: Record<string, unknown>;
}
