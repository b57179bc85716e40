// The checks step: with the handset booted into its OS, ask each of the profile's AT checks and
// judge the answer. Every check is run and reported, so the operator sees the whole picture (an
// IMEI problem and a camera still present are two findings, not one).
import type { CodedErrorOptions } from '../../shared/coded-error.ts';
import { SERIAL_NUMBER } from '../../shared/identifiers.ts';
import { isValidImei } from '../../shared/imei.ts';
import type { AtCheck, AtCheckFinding, DeviceProfile } from '../../shared/profile.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { AtAnswer, AtClient } from '../at/client.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { asHandsetFault, HandsetError } from './errors.ts';

/** Answer text kept per check: enough for an auditor to see what the handset said. */
const MAX_ANSWER_CHARS = 512;
const SYNC_ATTEMPTS = 3;

export interface AtCheckResult {
  readonly id: string;
  readonly title: string;
  readonly command: string;
  readonly passed: boolean;
  /** The answer lines, joined with ' | ', escaped and capped. */
  readonly answer: string;
  /** The captured value (IMEI, firmware version), exactly as sent; null when none was captured. */
  readonly value: string | null;
  /** Why it failed, with what that means in the profile's words; null when it passed. */
  readonly reason: string | null;
  /**
   * What the failure says about the handset (the profile's `finding`); null when it passed, or when the handset
   * answered with an error result the check did not ask for, which says nothing about the handset: asked again, it may answer.
   */
  readonly finding: AtCheckFinding | null;
  readonly records: AtCheck['records'];
}

export interface CheckExpectations {
  readonly bundleVersion: string;
}

/**
 * `AT` until `OK`: lets a port that just booted flush its banner and noise before the first real command.
 * A port that never says OK is the handset's fault: AT_TIMEOUT when it stayed silent, UNEXPECTED_ANSWER
 * when it answered something else, AT_DISCONNECTED when it went away.
 */
export async function syncAt(client: AtClient, profile: DeviceProfile, signal?: AbortSignal): Promise<void> {
  let last: unknown = null;
  for (let attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
    try {
      const answer = await client.command('AT', { timeoutMs: profile.timeouts.atCommandMs, signal });
      if (answer.final === 'ok') return;
      const answered = displaySafe(answer.lines.join(' | '), 120);
      last = new HandsetError('UNEXPECTED_ANSWER', `it answered ${answered}`, { detail: 'AT_NO_OK', params: { answer: answered } });
    } catch (error) {
      signal?.throwIfAborted();
      last = asHandsetFault(error);
    }
  }
  const code = last instanceof HandsetError ? last.code : 'UNEXPECTED_ANSWER';
  const words: Pick<CodedErrorOptions, 'detail' | 'params'> =
    last instanceof HandsetError
      ? { detail: last.detail ?? code, params: { ...last.params, port: client.name } }
      : { detail: 'AT_NO_OK', params: { answer: '—', port: client.name } };
  throw new HandsetError(code, `${client.name}: the AT port does not answer AT with OK (${describeFailure(last)})`, words);
}

/**
 * The lines a pattern may read: a bare final `OK` says nothing, so a pattern that also fits `OK` must
 * never take it for a value; an error result code (`+CME ERROR: 4`) is itself the answer a check may expect.
 */
function informationLines(answer: AtAnswer): readonly string[] {
  return answer.final === 'ok' ? answer.lines.slice(0, -1) : answer.lines;
}

/** The serial number a booted handset reports on its AT port, for matching the port to its handset; null when no line matches. */
export async function readAtSerial(client: AtClient, profile: DeviceProfile, signal?: AbortSignal): Promise<string | null> {
  const { command, pattern } = profile.at.serial;
  const answer = await client.command(command, { timeoutMs: profile.timeouts.atCommandMs, signal }).catch((error: unknown) => {
    throw asHandsetFault(error);
  });
  const regex = new RegExp(pattern);
  for (const line of informationLines(answer)) {
    const match = regex.exec(line);
    // A claim outside the serial grammar names no handset this station could have met; it is no answer.
    if (match?.[1] !== undefined) return SERIAL_NUMBER.test(match[1]) ? match[1] : null;
  }
  return null;
}

/** Asks every check of the profile; a port that times out or goes away mid-check is the handset's fault (its code kept). */
export async function runAtChecks(client: AtClient, profile: DeviceProfile, expected: CheckExpectations, signal?: AbortSignal): Promise<AtCheckResult[]> {
  const results: AtCheckResult[] = [];
  for (const check of profile.at.checks) {
    const answer = await client.command(check.command, { timeoutMs: profile.timeouts.atCommandMs, signal }).catch((error: unknown) => {
      throw asHandsetFault(error);
    });
    results.push(judge(check, answer, expected));
  }
  return results;
}

export function judge(check: AtCheck, answer: AtAnswer, expected: CheckExpectations): AtCheckResult {
  const shown = displaySafe(answer.lines.join(' | '), MAX_ANSWER_CHARS);
  const base = { id: check.id, title: check.title, command: check.command, answer: shown, records: check.records };
  const regex = new RegExp(check.pattern);
  const match = informationLines(answer).map((line) => regex.exec(line)).find((candidate) => candidate !== null);
  const finding = answer.final === 'error' && !match ? null : check.finding;
  const fail = (detail: string, value: string | null = null): AtCheckResult => ({ ...base, passed: false, value, reason: `${check.title}: ${detail}. ${check.failure}`, finding });
  if (answer.final !== check.final) return fail(`the handset answered ${answer.final === 'ok' ? 'OK' : 'with an error'} where ${check.final === 'ok' ? 'OK' : 'an error'} was expected (${shown})`);
  if (!match) return fail(`no line of the answer matches (${shown})`);
  const value = match[1] ?? null;
  if (check.expect === 'luhn-imei' && (value === null || !isValidImei(value))) return fail(`${displaySafe(value ?? '', 40)} is not a valid IMEI (Luhn check digit)`, value);
  if (check.expect === 'bundle-version' && value !== expected.bundleVersion) {
    return fail(`the handset reports ${displaySafe(value ?? '', 80)}, the bundle is ${expected.bundleVersion}`, value);
  }
  return { ...base, passed: true, value, reason: null, finding: null };
}
