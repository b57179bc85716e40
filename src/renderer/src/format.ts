// Numbers, sizes, rates, durations and times for the operator's language, through Intl.
import i18next from 'i18next';
import { languageFor } from './i18n/language.ts';

/**
 * The locale to format in: the system's own (en-GB, zh-Hant-TW) when it speaks the operator's language,
 * so an English station in Britain shows 04/12/2026 and 14:14; the operator's language otherwise.
 */
export function formattingLocale(language: string, systemLocales: readonly string[]): string {
  return systemLocales.find((system) => languageFor(system) === language && Intl.DateTimeFormat.supportedLocalesOf(system).length > 0) ?? language;
}

const locale = (): string => formattingLocale(i18next.language || 'en', globalThis.navigator?.languages ?? []);

/**
 * One formatter per language and kind, made on first use: creating an Intl formatter costs far more
 * than formatting with one (the grid formats a percentage and a rate per card ten times a second).
 */
function cached<F>(make: (language: string) => F): () => F {
  const made = new Map<string, F>();
  return () => {
    const language = locale();
    let formatter = made.get(language);
    if (formatter === undefined) {
      formatter = make(language);
      made.set(language, formatter);
    }
    return formatter;
  };
}

const wholeNumbers = cached((language) => new Intl.NumberFormat(language, { maximumFractionDigits: 0 }));
const megabytes = cached((language) => new Intl.NumberFormat(language, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }));
const rates = cached((language) => new Intl.NumberFormat(language, { style: 'unit', unit: 'megabyte-per-second', maximumFractionDigits: 1 }));
const dateTimes = cached((language) => new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' }));
const times = cached((language) => new Intl.DateTimeFormat(language, { timeStyle: 'medium' }));
const clockTimes = cached((language) => new Intl.DateTimeFormat(language, { timeStyle: 'short' }));
const lists = cached((language) => new Intl.ListFormat(language, { style: 'long', type: 'conjunction' }));
const alternatives = cached((language) => new Intl.ListFormat(language, { style: 'long', type: 'disjunction' }));

/** A whole number (a count, a percentage) with the language's digit grouping. */
export function formatNumber(value: number): string {
  return wholeNumbers().format(value);
}

/** Decimal megabytes, as flashing tools and USB speeds are quoted. */
export function formatMegabytes(bytes: number): string {
  return megabytes().format(bytes / 1e6);
}

export function formatRate(bytesPerSecond: number): string {
  return rates().format(bytesPerSecond / 1e6);
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
  return dateTimes().format(new Date(iso));
}

export function formatTime(iso: string): string {
  return times().format(new Date(iso));
}

/** Hours and minutes (14:02), for a state's start shown at a glance. */
export function formatClockTime(iso: string): string {
  return clockTimes().format(new Date(iso));
}

/** "A, B and C" in the operator's language. */
export function formatList(items: readonly string[]): string {
  return lists().format(items);
}

/** "A, B or C" in the operator's language. */
export function formatAlternatives(items: readonly string[]): string {
  return alternatives().format(items);
}
