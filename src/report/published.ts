/**
 * Published MTIL Order I results (ViT-B/16, full 11-task stream, 1000 iterations per task), for orientation in
 * reports. Numbers are Transfer / Avg / Last in percent as printed in the papers; they were measured on the real
 * MTIL datasets and are NOT comparable with runs on other streams, models or settings.
 *
 * Sources: Zero-shot, Continual FT, LwF, WiSE-FT and ZSCL: ZSCL (Zheng et al., ICCV 2023), Table 1.
 * MoE-Adapters: Yu et al., CVPR 2024, Table 1. MulKI: as quoted by later work (its Last is not quoted).
 */
export interface PublishedRow {
  method: string;
  transfer: number;
  avg: number;
  last: number | null;
  source: string;
}

export const PUBLISHED_SETTING = 'MTIL Order I, CLIP ViT-B/16, published numbers on the real MTIL datasets';

export const PUBLISHED_MTIL_ORDER_I: readonly PublishedRow[] = [
  { method: 'Zero-shot', transfer: 69.4, avg: 65.3, last: 65.3, source: 'ZSCL, ICCV 2023' },
  { method: 'Continual fine-tune', transfer: 44.6, avg: 55.9, last: 77.3, source: 'ZSCL, ICCV 2023' },
  { method: 'LwF', transfer: 56.9, avg: 64.7, last: 74.6, source: 'ZSCL, ICCV 2023' },
  { method: 'WiSE-FT', transfer: 52.3, avg: 60.7, last: 77.7, source: 'ZSCL, ICCV 2023' },
  { method: 'ZSCL', transfer: 68.1, avg: 75.4, last: 83.6, source: 'ZSCL, ICCV 2023' },
  { method: 'MoE-Adapters', transfer: 68.9, avg: 76.7, last: 85.0, source: 'MoE-Adapters, CVPR 2024' },
  { method: 'MulKI', transfer: 70.1, avg: 77.3, last: null, source: 'as quoted by later work; Last not quoted' },
];
