/** Non-overlapping patches of images (a stride = kernel convolution is patches followed by a linear layer). */
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { common } from './util.js';

/** x: [B, C, H, W] -> [B, (H/p)*(W/p), C*p*p], each patch in (channel, row, col) order. */
export function patchify(x: Tensor, p: number): Tensor {
  const be = common('patchify', x);
  if (x.rank !== 4) throw new Error(`patchify: expected [B, C, H, W], got [${x.shape}]`);
  const [B, C, H, W] = x.shape as [number, number, number, number];
  if (H % p !== 0 || W % p !== 0) throw new Error(`patchify: image ${H}x${W} is not divisible by patch size ${p}`);
  const out = empty(be, [B, (H / p) * (W / p), C * p * p]);
  be.im2patch(x.storage, B, C, H, W, p, out.storage);
  return record(out, 'patchify', [x], (g, sink) => {
    const t = sink.target(x);
    if (t) be.patch2im(g.storage, B, C, H, W, p, t.s, t.acc);
  });
}
