/**
 * The unit of work of the loader: decode + transform a run of examples into one CHW float32 buffer. A job is
 * plain data (image sources, the transform settings, each example's RNG key), so the same function runs in a
 * worker thread or in the main thread and gives the same bytes either way.
 *
 * Decoding (sharp, on libuv threads) of the next example overlaps the transform of the current one.
 */
import type { ImageSource } from './dataset.js';
import { decodeImage, type AlphaMode } from '../clip/decode.js';
import type { RgbImage } from '../clip/resize.js';
import { evalTransform, trainTransform } from '../clip/preprocess.js';
import { exampleRng } from './schedule.js';

export interface TransformSpec {
  size: number;
  /** RandomResizedCrop with each item's RNG (training) instead of resize + centre crop (evaluation). */
  augment: boolean;
  scale: [number, number];
  ratio: [number, number];
  mean: [number, number, number];
  std: [number, number, number];
  alpha: AlphaMode;
  svgSize?: number;
}

export interface JobItem {
  source: ImageSource;
  /** (seed, epoch, index): the key of the item's augmentation RNG. */
  key: [number, number, number];
}

export interface Job {
  id: number;
  spec: TransformSpec;
  items: JobItem[];
}

export interface JobResult {
  id: number;
  /** items.length x 3 x size x size; a failed item's slot is left at zero. */
  images: Float32Array;
  failures: { item: number; message: string }[];
}

type Decoded = { img: RgbImage } | { error: string };

function decode(src: ImageSource, spec: TransformSpec): Promise<Decoded> {
  return decodeImage(src, { alpha: spec.alpha, svgSize: spec.svgSize ?? spec.size }).then(
    (img) => ({ img }),
    (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
  );
}

export async function runJob(job: Job): Promise<JobResult> {
  const { spec, items } = job;
  const per = 3 * spec.size * spec.size;
  const images = new Float32Array(items.length * per);
  const failures: JobResult['failures'] = [];
  let next = items.length > 0 ? decode(items[0]!.source, spec) : null;
  for (let i = 0; i < items.length; i++) {
    const d = await next!;
    next = i + 1 < items.length ? decode(items[i + 1]!.source, spec) : null;
    if ('error' in d) {
      failures.push({ item: i, message: d.error });
      continue;
    }
    try {
      const opts = { size: spec.size, mean: spec.mean, std: spec.std, out: images, outOffset: i * per };
      if (spec.augment) {
        const [seed, epoch, index] = items[i]!.key;
        trainTransform(d.img, exampleRng(seed, epoch, index), { ...opts, scale: spec.scale, ratio: spec.ratio });
      } else {
        evalTransform(d.img, opts);
      }
    } catch (e) {
      images.fill(0, i * per, (i + 1) * per);
      failures.push({ item: i, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { id: job.id, images, failures };
}

/**
 * A copy of a source that is cheap to post to a worker: typed arrays are copied to exact-size buffers (a view
 * into a large buffer would otherwise clone the whole buffer), and those copies are listed for transfer.
 */
export function portableSource(src: ImageSource): { source: ImageSource; transfer: ArrayBuffer[] } {
  if (src.kind === 'encoded') {
    const bytes = new Uint8Array(src.bytes);
    return { source: { ...src, bytes }, transfer: [bytes.buffer as ArrayBuffer] };
  }
  if (src.kind === 'raw') {
    const data = new Uint8Array(src.image.data);
    return { source: { ...src, image: { ...src.image, data } }, transfer: [data.buffer as ArrayBuffer] };
  }
  return { source: src, transfer: [] };
}
