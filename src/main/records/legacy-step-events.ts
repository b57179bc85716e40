// Step events journaled before the structured journal (schema 6 and earlier) carried their facts as
// sentences. This module is the one place that reads those sentences, once, in the migration that
// gives every old event its code and typed data. It recognises only the exact wordings the station
// wrote then; an event in any other wording is kept verbatim and marked unconverted, which
// quarantines its handset (history.ts), because a guess about a fuse or a lock is never safe.
import { isFailureCode } from '../../shared/failures.ts';
import type { StepName, StepStatus } from '../../shared/records.ts';
import { stepDataSchema, type StepData } from '../../shared/step-events.ts';

export interface LegacyEvent {
  readonly step: StepName;
  readonly status: StepStatus;
  readonly detail: string | null;
}

export type Converted = { readonly code: string | null; readonly data: StepData } | null;

const HEX8 = '0x([0-9a-f]{8})';
const WORD = new RegExp(`^bank (\\d+) word (\\d+) = ${HEX8}$`);
const PROGRAMMED = new RegExp(`^programmed bank (\\d+) word (\\d+) mask ${HEX8}$`);
const FAILURE = /^\[([A-Z_]+)\] /;
const CHECK = /^([a-z0-9-]+)=(pass|FAIL)$/;

/** The event's code and data, or null when its wording is not one the station wrote. */
export function convertLegacyEvent(event: LegacyEvent): Converted {
  const converted = convert(event);
  if (converted === null) return null;
  // Whatever this module produces must fit the schema the new code reads with.
  return stepDataSchema(event.step, event.status).safeParse(converted.data).success ? converted : null;
}

function convert({ step, status, detail }: LegacyEvent): Converted {
  const failure = detail === null ? null : FAILURE.exec(detail);
  if (failure && (status === 'failed' || status === 'skipped')) {
    const code = failure[1] as string;
    return isFailureCode(code) ? { code, data: null } : null;
  }
  switch (status) {
    case 'started':
      return started(step, detail);
    case 'passed':
      return passed(step, detail);
    case 'failed':
      // The checks' summary line came before the coded failure of the same step.
      return step === 'checks' && detail !== null ? withChecks(detail, (checks) => ({ code: 'CHECK_FAILED', data: { checks } })) : null;
    case 'skipped':
      return { code: null, data: null };
  }
}

function started(step: StepName, detail: string | null): Converted {
  if (step === 'flash' && detail !== null) {
    const targets = detail.split(', ');
    return targets.every((target) => /^[A-Za-z0-9_.-]+$/.test(target)) ? { code: null, data: { event: 'writing', targets } } : null;
  }
  if (step === 'fuse' && detail !== null) {
    if (detail.startsWith('words before: ')) {
      const words = fuseReadbackText(detail.slice('words before: '.length));
      // That station burned the missing bits before it journaled the burn.
      return words ? { code: null, data: { event: 'read-before', words, programsUnjournaled: true } } : null;
    }
    const programmed = PROGRAMMED.exec(detail);
    if (!programmed) return null;
    const mask = { bank: Number(programmed[1]), word: Number(programmed[2]), mask: Number.parseInt(programmed[3] as string, 16) };
    return { code: null, data: { event: 'program-acknowledged', ...mask } };
  }
  if (detail !== null) return null;
  // That station journaled the lock step's start before it read the state and sent the lock: it may have been sent.
  return { code: null, data: step === 'lock' ? { event: 'lock-sent' } : { event: 'begin' } };
}

function passed(step: StepName, detail: string | null): Converted {
  const text = detail ?? '';
  switch (step) {
    case 'detect': {
      const match = /^slot (.+), profile (\S+)$/.exec(text);
      return match ? { code: null, data: { profile: match[2] as string } } : null;
    }
    case 'identify':
      return identity(text);
    case 'precheck':
      return detail === null ? { code: null, data: null } : null;
    case 'flash': {
      if (text === "already flashed: every partition reads back the bundle's hash") return { code: null, data: { written: false, bytes: 0 } };
      const match = /^(\d+) partition\(s\), (\d+) bytes$/.exec(text);
      return match ? { code: null, data: { written: true, bytes: Number(match[2]) } } : null;
    }
    case 'verify':
      return text === 'readback matches the manifest' ? { code: null, data: { partitions: null } } : null;
    case 'fuse': {
      const after = text.startsWith('words after: ') ? fuseReadbackText(text.slice('words after: '.length)) : null;
      return after ? { code: null, data: { after, burned: null } } : null;
    }
    case 'lock': {
      const match = /^[^=]+=(.*)$/.exec(text);
      return match ? { code: null, data: { lockState: match[1] as string, sent: true } } : null;
    }
    case 'reboot': {
      const booted = /^found booted behind AT port (.+) after a station restart$/.exec(text);
      if (booted) return { code: null, data: { atPort: booted[1] as string, foundBooted: true } };
      const port = /^AT port (.+)$/.exec(text);
      return port ? { code: null, data: { atPort: port[1] as string, foundBooted: false } } : null;
    }
    case 'checks':
      return withChecks(text, (checks) => ({ code: null, data: { checks } }));
    case 'record': {
      const match = /^(provisioned|failed) (\d+)$/.exec(text);
      return match ? { code: null, data: { outcome: match[1] as 'provisioned' | 'failed', seq: Number(match[2]) } } : null;
    }
    case 'label':
      // Its detail was only ever words for the operator (the printer's answer), kept as they are.
      return { code: null, data: null };
  }
}

function fuseReadbackText(text: string): { bank: number; word: number; value: number }[] | null {
  const words = text.split(', ').map((part) => WORD.exec(part));
  if (words.some((match) => match === null)) return null;
  return words.map((match) => ({ bank: Number(match?.[1]), word: Number(match?.[2]), value: Number.parseInt(match?.[3] as string, 16) }));
}

function identity(text: string): Converted {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const entries = Object.entries(parsed).filter(([key]) => key !== 'slot');
  const values = entries.map(([key, value]) => [key, typeof value === 'boolean' ? String(value) : value] as const);
  if (!values.every(([, value]) => value === null || typeof value === 'string')) return null;
  return { code: null, data: { identity: Object.fromEntries(values) as Record<string, string | null> } };
}

function withChecks(text: string, make: (checks: { id: string; passed: boolean }[]) => Converted): Converted {
  const checks = text.split(' ').map((part) => CHECK.exec(part));
  if (checks.length === 0 || checks.some((match) => match === null)) return null;
  return make(checks.map((match) => ({ id: match?.[1] as string, passed: match?.[2] === 'pass' })));
}
