/**
 * RFC 4180 CSV cells and rows, safe to open in a spreadsheet. A cell is quoted when it holds a
 * comma, a double quote, CR or LF, and its double quotes are doubled. A cell that a spreadsheet
 * would run as a formula (it starts with `=`, `+`, `-` or `@`, or with a tab or CR, which some
 * spreadsheets skip before looking for those: the OWASP list) gets a leading single quote, which
 * spreadsheets show as text; the quote goes inside the double quotes when the cell is quoted.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, escaped for formulas and quoted when needed. */
export function csvCell(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: cells joined by commas and ended by CRLF, as RFC 4180 says. */
export function csvRow(values: readonly string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
