/** Helpers shared by run.mjs (HTTP load) and rate-limit-stores.mjs (store decisions). */

export function readKnob(name, fallback, { min }) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function formatMs(value, digits = 2) {
  return value === undefined ? '-' : value.toFixed(digits);
}

/** columns: [{ title, align: 'left' | 'right', cell: (row) => string }] */
function tableCells(columns, rows, transform = (text) => text) {
  const header = columns.map((column) => transform(column.title));
  const body = rows.map((row) => columns.map((column) => transform(column.cell(row))));
  const widths = columns.map((_, i) => Math.max(header[i].length, ...body.map((line) => line[i].length)));
  const pad = (text, i) => (columns[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  return { header: header.map(pad), body: body.map((line) => line.map(pad)), widths };
}

export function textTable(columns, rows) {
  const { header, body, widths } = tableCells(columns, rows);
  const rule = widths.map((width) => '-'.repeat(width));
  return [header, rule, ...body].map((line) => line.join('  ').trimEnd()).join('\n');
}

// Laid out the way Prettier formats Markdown tables, so the committed file passes a format check.
export function markdownTable(columns, rows) {
  const { header, body, widths } = tableCells(columns, rows, (text) => text.replaceAll('|', '\\|'));
  const rule = widths.map((width, i) =>
    columns[i].align === 'right' ? `${'-'.repeat(width - 1)}:` : `:${'-'.repeat(width - 1)}`,
  );
  return [header, rule, ...body].map((line) => `| ${line.join(' | ')} |`).join('\n');
}
