import { isPlainObject } from '../core/payloadReader';

/**
 * RFC 4180 CSV for spreadsheets: a header row, CRLF line ends, fields quoted when they hold a
 * comma, quote or line break. Nested objects appear as `parent.child` columns when the column
 * list names them, and as JSON text otherwise. Text that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR first) gets a leading apostrophe: API data comes from tenants
 * the partner does not control.
 */
export function toCsv(columns: readonly string[], rows: readonly object[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvField(cellText(valueAt(row, column)))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function valueAt(row: object, column: string): unknown {
  if (isPlainObject(row) && column in row) return row[column];
  let value: unknown = row;
  for (const part of column.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
