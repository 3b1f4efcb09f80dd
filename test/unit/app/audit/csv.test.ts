/**
 * RFC 4180 cells and rows, and formula escaping (a cell a spreadsheet would evaluate is shown as
 * text), table-driven.
 */
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../../../src/app/audit/csv.js';
import { parseCsv } from '../../../support/csv.js';

describe('csvCell', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['a plain cell as is', 'mcp:github:repos', 'mcp:github:repos'],
    ['an empty cell as empty', '', ''],
    ['spaces as is', ' padded value ', ' padded value '],
    ['a comma in quotes', 'a,b', '"a,b"'],
    ['a double quote doubled, in quotes', 'say "hi"', '"say ""hi"""'],
    ['only a double quote', '"', '""""'],
    ['a line feed in quotes', 'line1\nline2', '"line1\nline2"'],
    ['a carriage return in quotes', 'line1\rline2', '"line1\rline2"'],
    ['CRLF in quotes', 'a\r\nb', '"a\r\nb"'],
    ['a leading = with a single quote', '=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['a leading + with a single quote', '+1', "'+1"],
    ['a leading - with a single quote', '-1', "'-1"],
    ['a leading @ with a single quote', '@cmd', "'@cmd"],
    ['a leading tab with a single quote', '\t=1', "'\t=1"],
    ['a formula with a comma: quote inside the double quotes', '=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['a leading carriage return: escaped and quoted', '\r=1', '"\'\r=1"'],
    ['= later in the cell as is', 'a=b', 'a=b'],
    ['- later in the cell as is', 'agt-1', 'agt-1'],
    ['a single quote as is', "it's", "it's"],
    ['unicode as is', 'ümlaut ✓', 'ümlaut ✓'],
  ];
  it.each(cases)('writes %s', (_name, input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});

describe('csvRow', () => {
  it('joins cells with commas and ends the record with CRLF', () => {
    expect(csvRow(['a', 'b,c', '=1', ''])).toBe('a,"b,c",\'=1,\r\n');
  });

  it('round-trips through an RFC 4180 parser, formula prefix aside', () => {
    const cells = ['x', 'a,b', 'q"uote', 'multi\r\nline', '', 'plain'];
    expect(parseCsv(csvRow(cells))).toEqual([cells]);
  });
});
