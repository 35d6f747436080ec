/** Text formatting and escaping shared by the HTML and Markdown renderers. */

/** Escapes text for HTML element content and attribute values (also valid inside inline SVG). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escapes text for a Markdown table cell: HTML-significant characters, pipes and line breaks. */
export function escapeMarkdownCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A percentage with one decimal (as in the papers); an en dash for undefined values. */
export function formatPct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '\u2013' : v.toFixed(digits);
}

/** Signed, for differences such as backward transfer. */
export function formatSigned(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined) return '\u2013';
  const s = v.toFixed(digits);
  return v > 0 && s !== (0).toFixed(digits) ? `+${s}` : s;
}

/** Seconds as "42.0 s", "3 min 05 s", "2 h 03 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** Bytes in binary units: "0 B", "1.5 KiB", "330.2 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Integers with thousands separators: 1,234,567. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Named seeds as "run=1, split=42"; "none" when empty. */
export function formatSeeds(seeds: Record<string, number>): string {
  const parts = Object.entries(seeds).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** Shortens a label for narrow places, keeping the full text elsewhere (e.g. in a tooltip). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '\u2026';
}
