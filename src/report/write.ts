/** writeReport: report.html and report.md for one run, each written atomically. */
import { join } from 'node:path';
import type { RunResults } from '../cl/results.js';
import { writeFileAtomic } from '../engine/io/atomic.js';
import { renderHtmlReport } from './html.js';
import { renderMarkdownReport } from './markdown.js';

export interface WrittenReport {
  html: string;
  markdown: string;
}

export function writeReport(dir: string, results: RunResults): WrittenReport {
  const html = join(dir, 'report.html');
  const markdown = join(dir, 'report.md');
  writeFileAtomic(html, renderHtmlReport(results));
  writeFileAtomic(markdown, renderMarkdownReport(results));
  return { html, markdown };
}
