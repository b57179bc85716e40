// Numbers, sizes, rates, durations and times for the operator's language, through Intl.
import i18next from 'i18next';

const locale = (): string => i18next.language || 'en';

export function formatNumber(value: number, digits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

/** Decimal megabytes, as flashing tools and USB speeds are quoted. */
export function formatMegabytes(bytes: number): string {
  return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(bytes / 1e6);
}

export function formatRate(bytesPerSecond: number): string {
  return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'megabyte-per-second', maximumFractionDigits: 1 }).format(bytesPerSecond / 1e6);
}

/** h:mm:ss or m:ss, the same in every language. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(new Date(iso));
}

/** "A, B and C" in the operator's language. */
export function formatList(items: readonly string[]): string {
  return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(items);
}
