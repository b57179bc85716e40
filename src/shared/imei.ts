// IMEI validity as the pipeline checks it and labels print it: 15 decimal digits whose last is the
// Luhn check digit of the first 14 (3GPP TS 23.003).

export function isValidImei(text: string): boolean {
  if (!/^\d{15}$/.test(text)) return false;
  let sum = 0;
  for (let index = 0; index < 15; index++) {
    let digit = text.charCodeAt(index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
