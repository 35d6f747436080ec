/**
 * The accuracy matrix as an SVG heatmap: rows = zero-shot, then after each task; columns = datasets in task order.
 * Cell values are printed. The diagonal (the task just trained) has a heavy outline; the upper triangle (datasets
 * not trained yet: the transfer region) is hatched and fenced by a dashed staircase. Rows not evaluated yet (a run
 * in progress) are drawn as empty dashed cells.
 */
import type { RunResults } from '../cl/results.js';
import { accuracyColor, accuracyGradientStops, rgbHex, textColorOn } from './colors.js';
import { escapeHtml, formatPct, truncate } from './format.js';

export type HeatmapInput = Pick<RunResults, 'tasks' | 'zeroShot' | 'matrix'>;

/** Geometry, exported so tests can locate cells in a screenshot. */
export const HEATMAP_LAYOUT = {
  left: 170,
  top: 104,
  cellW: 76,
  cellH: 32,
  /** Gap between the zero-shot row and the first trained row. */
  gap: 10,
  legendW: 170,
  bottom: 16,
} as const;

/** Top-left corner of a cell; row -1 is the zero-shot row. */
export function heatmapCellOrigin(row: number, col: number): { x: number; y: number } {
  const L = HEATMAP_LAYOUT;
  const y = row < 0 ? L.top : L.top + L.cellH + L.gap + row * L.cellH;
  return { x: L.left + col * L.cellW, y };
}

export function heatmapSize(tasks: number): { width: number; height: number } {
  const L = HEATMAP_LAYOUT;
  return {
    width: L.left + tasks * L.cellW + L.legendW,
    height: L.top + (tasks + 1) * L.cellH + L.gap + L.bottom,
  };
}

function cell(
  row: number,
  col: number,
  value: number | undefined,
  cls: string,
  tooltip: string,
): string {
  const L = HEATMAP_LAYOUT;
  const { x, y } = heatmapCellOrigin(row, col);
  const cx = x + L.cellW / 2;
  const cy = y + L.cellH / 2 + 4.5;
  const dataRow = row < 0 ? 'zs' : String(row);
  const head = `<g class="cell ${cls}" data-row="${dataRow}" data-col="${col}"><title>${escapeHtml(tooltip)}</title>`;
  if (value === undefined) {
    return (
      head +
      `<rect x="${x + 1}" y="${y + 1}" width="${L.cellW - 2}" height="${L.cellH - 2}" fill="#f4f4f4" ` +
      `stroke="#c8c8c8" stroke-dasharray="3 3"/>` +
      `<text class="cell-value" x="${cx}" y="${cy}" text-anchor="middle" fill="#9a9a9a">\u2026</text></g>`
    );
  }
  const bg = accuracyColor(value);
  const diag = cls.includes('diag');
  const hatch = cls.includes('transfer')
    ? `<rect x="${x}" y="${y}" width="${L.cellW}" height="${L.cellH}" fill="url(#hm-hatch)"/>`
    : '';
  return (
    head +
    `<rect x="${x}" y="${y}" width="${L.cellW}" height="${L.cellH}" fill="${rgbHex(bg)}" stroke="#ffffff" stroke-width="1"/>` +
    hatch +
    `<text class="cell-value" x="${cx}" y="${cy}" text-anchor="middle" fill="${textColorOn(bg)}"` +
    `${diag ? ' font-weight="700"' : ''}>${formatPct(value)}</text></g>`
  );
}

/** Heavy outlines of the diagonal cells present, drawn after all cells so that no neighbour covers them. */
function diagonalOutlines(rows: number): string {
  const L = HEATMAP_LAYOUT;
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const { x, y } = heatmapCellOrigin(i, i);
    out.push(
      `<rect class="diag-outline" x="${x + 1.5}" y="${y + 1.5}" width="${L.cellW - 3}" height="${L.cellH - 3}" ` +
        `fill="none" stroke="#111" stroke-width="3"/>`,
    );
  }
  return out.join('');
}

/** The staircase around the upper triangle of the trained rows (cells i < j). */
function transferOutline(tasks: number): string {
  if (tasks < 2) return '';
  const L = HEATMAP_LAYOUT;
  const pts: string[] = [];
  const top = heatmapCellOrigin(0, 0).y;
  pts.push(`${L.left + L.cellW},${top}`, `${L.left + tasks * L.cellW},${top}`);
  pts.push(`${L.left + tasks * L.cellW},${top + (tasks - 1) * L.cellH}`);
  for (let i = tasks - 2; i >= 0; i--) {
    const x = L.left + (i + 1) * L.cellW;
    pts.push(`${x + L.cellW},${top + (i + 1) * L.cellH}`, `${x},${top + (i + 1) * L.cellH}`);
    pts.push(`${x},${top + i * L.cellH}`);
  }
  return `<polygon class="transfer-outline" points="${pts.join(' ')}" fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/>`;
}

function legend(tasks: number): string {
  const L = HEATMAP_LAYOUT;
  const x = L.left + tasks * L.cellW + 28;
  const y = L.top;
  const h = Math.max(120, (tasks + 1) * L.cellH + L.gap - 90);
  const ticks = [0, 25, 50, 75, 100]
    .map((v) => {
      const ty = y + h - (v / 100) * h;
      return `<line x1="${x + 18}" x2="${x + 23}" y1="${ty}" y2="${ty}" stroke="#333"/><text x="${x + 26}" y="${ty + 4}" class="tick">${v}</text>`;
    })
    .join('');
  const ky = y + h + 18;
  return (
    `<g id="heatmap-legend"><linearGradient id="hm-scale" x1="0" y1="1" x2="0" y2="0">${accuracyGradientStops()}</linearGradient>` +
    `<rect x="${x}" y="${y}" width="18" height="${h}" fill="url(#hm-scale)" stroke="#555" stroke-width="0.5"/>${ticks}` +
    `<text x="${x}" y="${y - 8}" class="tick">accuracy %</text>` +
    `<rect x="${x}" y="${ky}" width="16" height="12" fill="#777" stroke="#111" stroke-width="2.5"/>` +
    `<text x="${x + 22}" y="${ky + 10}" class="tick">just trained</text>` +
    `<rect x="${x}" y="${ky + 20}" width="16" height="12" fill="#777"/><rect x="${x}" y="${ky + 20}" width="16" height="12" fill="url(#hm-hatch)" stroke="#d62728" stroke-dasharray="3 2"/>` +
    `<text x="${x + 22}" y="${ky + 30}" class="tick">not yet trained</text>` +
    `<rect x="${x}" y="${ky + 40}" width="16" height="12" fill="#f4f4f4" stroke="#c8c8c8" stroke-dasharray="3 3"/>` +
    `<text x="${x + 22}" y="${ky + 50}" class="tick">pending</text></g>`
  );
}

export function renderHeatmapSvg(r: HeatmapInput): string {
  const T = r.tasks.length;
  const L = HEATMAP_LAYOUT;
  const { width, height } = heatmapSize(T);
  const parts: string[] = [];
  parts.push(
    `<svg id="heatmap" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `role="img" aria-label="accuracy matrix heatmap" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="13">`,
    `<defs><pattern id="hm-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">` +
      `<line x1="0" y1="0" x2="0" y2="7" stroke="#ffffff" stroke-opacity="0.32" stroke-width="2.5"/></pattern></defs>`,
  );
  // column headers, rotated
  r.tasks.forEach((name, j) => {
    const x = L.left + j * L.cellW + L.cellW / 2;
    const y = L.top - 8;
    parts.push(
      `<text class="col-label" x="${x}" y="${y}" transform="rotate(-35 ${x} ${y})" text-anchor="start">` +
        `<title>${escapeHtml(name)}</title>${j + 1}. ${escapeHtml(truncate(name, 16))}</text>`,
    );
  });
  // row headers
  const rowLabel = (row: number, label: string, title: string) => {
    const { y } = heatmapCellOrigin(row, 0);
    parts.push(
      `<text class="row-label" x="${L.left - 10}" y="${y + L.cellH / 2 + 4.5}" text-anchor="end"><title>${escapeHtml(title)}</title>${label}</text>`,
    );
  };
  rowLabel(-1, 'zero-shot', 'before any training');
  r.tasks.forEach((name, i) =>
    rowLabel(i, `after ${i + 1}. ${escapeHtml(truncate(name, 14))}`, `after training task ${i + 1} (${name})`),
  );
  // cells
  r.zeroShot.forEach((v, j) =>
    parts.push(cell(-1, j, v, 'zeroshot', `${r.tasks[j]} zero-shot: ${formatPct(v)}%`)),
  );
  for (let i = 0; i < T; i++) {
    const row = r.matrix[i];
    for (let j = 0; j < T; j++) {
      const region = j === i ? 'diag' : j > i ? 'transfer' : 'seen';
      const v = row?.[j];
      const tip = row
        ? `${r.tasks[j]} after task ${i + 1} (${r.tasks[i]}): ${formatPct(v)}%`
        : `${r.tasks[j]} after task ${i + 1} (${r.tasks[i]}): not evaluated yet`;
      parts.push(cell(i, j, v, row ? region : `pending ${region}`, tip));
    }
  }
  parts.push(diagonalOutlines(Math.min(T, r.matrix.length)), transferOutline(T), legend(T), '</svg>');
  return parts.join('\n');
}
