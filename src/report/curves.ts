/**
 * Per-dataset accuracy across the stream as an SVG line chart: x = stage (zero-shot, after task 1..T), y = accuracy,
 * one line per dataset. The point where a dataset is trained is drawn as a larger ring, so rises (learning) and
 * later drops (forgetting) read directly. A run in progress draws the stages evaluated so far.
 */
import type { RunResults } from '../cl/results.js';
import { seriesColor, seriesDash } from './colors.js';
import { escapeHtml, formatPct, truncate } from './format.js';

export type CurvesInput = Pick<RunResults, 'tasks' | 'zeroShot' | 'matrix'>;

export const CURVES_LAYOUT = { left: 56, top: 20, plotW: 760, plotH: 320, bottom: 96, legendW: 210 } as const;

export function renderCurvesSvg(r: CurvesInput): string {
  const L = CURVES_LAYOUT;
  const T = r.tasks.length;
  const stages = T + 1; // zero-shot + one per task
  const width = L.left + L.plotW + L.legendW;
  const legendH = T * 20 + 24;
  const height = Math.max(L.top + L.plotH + L.bottom, L.top + legendH);
  const xOf = (s: number) => L.left + (stages === 1 ? L.plotW / 2 : (s / (stages - 1)) * L.plotW);
  const yOf = (v: number) => L.top + L.plotH - (Math.min(100, Math.max(0, v)) / 100) * L.plotH;
  const parts: string[] = [
    `<svg id="curves" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `role="img" aria-label="per-dataset accuracy across tasks" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="12">`,
    `<rect x="${L.left}" y="${L.top}" width="${L.plotW}" height="${L.plotH}" fill="#fbfbfb" stroke="#999"/>`,
  ];
  // horizontal grid and y ticks
  for (let v = 0; v <= 100; v += 20) {
    const y = yOf(v);
    parts.push(
      `<line class="grid" x1="${L.left}" x2="${L.left + L.plotW}" y1="${y}" y2="${y}" stroke="#e2e2e2"/>`,
      `<text class="tick" x="${L.left - 6}" y="${y + 4}" text-anchor="end">${v}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${L.top + L.plotH / 2}" transform="rotate(-90 14 ${L.top + L.plotH / 2})" text-anchor="middle">accuracy %</text>`,
  );
  // x ticks: stage labels
  for (let s = 0; s < stages; s++) {
    const x = xOf(s);
    const y = L.top + L.plotH + 14;
    const label = s === 0 ? 'zero-shot' : `${s}. ${escapeHtml(truncate(r.tasks[s - 1]!, 14))}`;
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${L.top}" y2="${L.top + L.plotH}" stroke="#efefef"/>`,
      `<text class="tick" x="${x}" y="${y}" transform="rotate(-35 ${x} ${y})" text-anchor="end">${label}</text>`,
    );
  }
  // one line per dataset
  for (let j = 0; j < T; j++) {
    const values = [r.zeroShot[j]!, ...r.matrix.map((row) => row[j]!)];
    const color = seriesColor(j);
    const dash = seriesDash(j);
    const pts = values.map((v, s) => `${xOf(s).toFixed(1)},${yOf(v).toFixed(1)}`).join(' ');
    parts.push(`<g class="series" data-col="${j}"><title>${escapeHtml(r.tasks[j]!)}</title>`);
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2.2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    values.forEach((v, s) => {
      const trained = s === j + 1;
      parts.push(
        `<circle cx="${xOf(s).toFixed(1)}" cy="${yOf(v).toFixed(1)}" r="${trained ? 5.5 : 3}" ` +
          `fill="${trained ? '#ffffff' : color}" stroke="${color}" stroke-width="${trained ? 2.5 : 1}">` +
          `<title>${escapeHtml(r.tasks[j]!)} ${s === 0 ? 'zero-shot' : `after task ${s}`}: ${formatPct(v)}%</title></circle>`,
      );
    });
    parts.push('</g>');
  }
  // legend
  const lx = L.left + L.plotW + 20;
  parts.push(`<g id="curves-legend"><text x="${lx}" y="${L.top + 4}" font-weight="600">dataset</text>`);
  r.tasks.forEach((name, j) => {
    const y = L.top + 22 + j * 20;
    const dash = seriesDash(j);
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${seriesColor(j)}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${lx + 30}" y="${y}"><title>${escapeHtml(name)}</title>${escapeHtml(truncate(name, 22))}</text>`,
    );
  });
  const ny = L.top + 22 + T * 20;
  parts.push(
    `<circle cx="${lx + 12}" cy="${ny - 4}" r="5.5" fill="#fff" stroke="#555" stroke-width="2.5"/>`,
    `<text x="${lx + 30}" y="${ny}">task just trained</text></g>`,
    '</svg>',
  );
  return parts.join('\n');
}
