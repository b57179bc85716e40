// Reading a CSV export back as a strict RFC 4180 reader would, so a test sees the cells a spreadsheet gets.

/** A strict RFC 4180 reader: fields, quoted fields with doubled quotes, CRLF records. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) throw new Error('unterminated quoted field');
        field += text.slice(i, quote);
        i = quote + 1;
        if (text[i] !== '"') break;
        field += '"';
        i += 1;
      }
    } else {
      const end = text.slice(i).search(/[,\r\n]/);
      field = end === -1 ? text.slice(i) : text.slice(i, i + end);
      i = end === -1 ? text.length : i + end;
      if (field.includes('"')) throw new Error(`bare quote in unquoted field ${field.slice(0, 40)}`);
    }
    row.push(field);
    if (text[i] === ',') i += 1;
    else if (text.startsWith('\r\n', i) || i >= text.length) {
      rows.push(row);
      row = [];
      i += 2;
    } else throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return rows;
}
