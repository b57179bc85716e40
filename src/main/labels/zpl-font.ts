// Widths of ZPL's scalable font 0 (^A0), per printable ASCII character, in hundredths of the
// character width given to ^A0. Measured from zebrash's font 0 (the renderer behind our previews)
// by rendering each character 20 times at 100 dots; printers' CG Triumvirate Bold Condensed is
// no wider, and SAFETY covers the difference in rounding.
const ADVANCE_PERCENT = [
  25, 34, 34, 50, 50, 84, 67, 25, 34, 34, 50, 50, 34, 80, 34, 28, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 28, 28, 50, 50, 50, 50, 84, 56, 56, 56, 62, 50,
  50, 62, 62, 28, 45, 56, 50, 78, 62, 62, 56, 62, 62, 56, 50, 62, 56, 84, 56, 56, 50, 34, 25, 34, 50, 50, 34, 50, 50, 45, 50, 50, 28, 50, 50, 28, 28, 45,
  28, 78, 50, 50, 50, 50, 34, 45, 28, 50, 45, 67, 45, 45, 39, 28, 25, 28, 50,
];
const SAFETY = 1.12;
const WIDEST = Math.max(...ADVANCE_PERCENT);

/** Dots that `text` takes in ^A0N,height,height. */
export function zplTextWidth(text: string, height: number): number {
  let percent = 0;
  for (let index = 0; index < text.length; index++) percent += ADVANCE_PERCENT[text.charCodeAt(index) - 0x20] ?? WIDEST;
  return Math.ceil((percent * height * SAFETY) / 100);
}
