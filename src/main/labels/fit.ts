// Fitting text into its box: text wider than the box is cut and ends in `...`, so a shortened
// value is visibly shortened and nothing is ever printed over its neighbour.
export const ELLIPSIS = '...';

/** Width in dots of `text` (printable ASCII) at character height `height`, in one backend's font. */
export type MeasureText = (text: string, height: number) => number;

/** `text` if it fits `width` dots, else its longest prefix that fits with `...` after it. */
export function fitText(text: string, width: number, height: number, measure: MeasureText): string {
  if (measure(text, height) <= width) return text;
  let keep = text.length - 1;
  while (keep > 0 && measure(text.slice(0, keep) + ELLIPSIS, height) > width) keep -= 1;
  return keep > 0 ? text.slice(0, keep) + ELLIPSIS : measure(ELLIPSIS, height) <= width ? ELLIPSIS : '';
}
