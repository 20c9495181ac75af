/** One line of `npm run bench`: a measured figure beside its target. */
export interface BenchRow {
  /** What was measured, e.g. "collectPartnerSecurity wall time (10,000 customers)". */
  measure: string;
  /** The figure, formatted with its unit. */
  value: string;
  /** The target, formatted, e.g. "<= 1.3x floor (6.5 s)". */
  target: string;
  met: boolean;
}

export function printBenchTable(rows: readonly BenchRow[]): void {
  const widths = [
    Math.max(7, ...rows.map((row) => row.measure.length)),
    Math.max(5, ...rows.map((row) => row.value.length)),
    Math.max(6, ...rows.map((row) => row.target.length)),
  ];
  const line = (cells: string[]): string => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ');
  console.log(line(['measure', 'value', 'target']) + '  met');
  console.log(line(widths.map((width) => '-'.repeat(width))) + '  ---');
  for (const row of rows) console.log(line([row.measure, row.value, row.target]) + `  ${row.met ? 'yes' : 'NO'}`);
}
