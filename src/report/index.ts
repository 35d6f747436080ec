/** The report layer: results.json -> self-contained HTML page, Markdown tables. */
export { renderHtmlReport } from './html.js';
export { renderMarkdownReport, renderMarkdownTable, meanStd, type MarkdownTableOptions } from './markdown.js';
export { writeReport, type WrittenReport } from './write.js';
export { renderHeatmapSvg, heatmapCellOrigin, heatmapSize, HEATMAP_LAYOUT } from './heatmap.js';
export { renderCurvesSvg } from './curves.js';
export { accuracyColor } from './colors.js';
export { PUBLISHED_MTIL_ORDER_I, PUBLISHED_SETTING, type PublishedRow } from './published.js';
