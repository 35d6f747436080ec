/** Method registry: name -> factory. */
import type { Method } from '../method.js';
import { FineTune } from './finetune.js';
import { LwF } from './lwf.js';
import { Mulki } from './mulki/index.js';
import { WiseFT } from './wiseft.js';
import { ZeroShot } from './zeroshot.js';
import { Zscl } from './zscl.js';

const FACTORIES: Record<string, (opts: Record<string, unknown>) => Method> = {
  zeroshot: () => new ZeroShot(),
  finetune: () => new FineTune(),
  lwf: (o) => new LwF(o),
  wiseft: (o) => new WiseFT(o),
  zscl: (o) => new Zscl(o),
  mulki: (o) => new Mulki(o),
};

const ALIASES: Record<string, string> = { 'zero-shot': 'zeroshot', ft: 'finetune', 'fine-tune': 'finetune', 'wise-ft': 'wiseft' };

export const METHOD_NAMES: readonly string[] = Object.keys(FACTORIES);

export function createMethod(name: string, opts: Record<string, unknown> = {}): Method {
  const key = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  const f = FACTORIES[key];
  if (!f) throw new Error(`unknown method '${name}'; known: ${METHOD_NAMES.join(', ')}`);
  if (key === 'zeroshot' || key === 'finetune') {
    const extra = Object.keys(opts);
    if (extra.length) throw new Error(`method ${key}: takes no options, got ${extra.join(', ')}`);
  }
  return f(opts);
}
