/** Every op, forward and backward side by side in its own file. */
export * from './create.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './matmul.js';
export * from './linear.js';
export * from './activation.js';
export * from './norm.js';
export * from './softmax.js';
export * from './attention.js';
export * from './embedding.js';
export * from './patch.js';
export * from './loss.js';
export * from './similarity.js';
export * from './select.js';
