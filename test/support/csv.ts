/**
 * A small RFC 4180 parser, the test oracle for CSV exports: quoted cells with doubled quotes and
 * embedded CR/LF, records ended by CRLF.
 */

/** Parses a whole CSV text (every record ended by CRLF) into records of cells. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const c = text[i];
        if (c === undefined) throw new Error('unterminated quoted cell');
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        cell += c;
        i += 1;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        cell += text[i];
        i += 1;
      }
    }
    record.push(cell);
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] !== '\r' || text[i + 1] !== '\n') throw new Error(`expected CRLF after a record at ${i}`);
    i += 2;
    records.push(record);
    record = [];
  }
  return records;
}
