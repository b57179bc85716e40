// The lifecycle of DESIGN.md as the runner takes it: one descriptor per step, in order.
import type { Step } from '../step.ts';
import { checks } from './checks.ts';
import { detect } from './detect.ts';
import { flash } from './flash.ts';
import { fuse } from './fuse.ts';
import { identify } from './identify.ts';
import { label } from './label.ts';
import { lock } from './lock.ts';
import { precheck } from './precheck.ts';
import { reboot } from './reboot.ts';
import { record } from './record.ts';
import { verify } from './verify.ts';

/** A handset plugged in in fastboot: the whole lifecycle (each step passes at once what its own readback proves done). */
export const LIFECYCLE: readonly Step[] = [detect, identify, precheck, flash, verify, fuse, lock, reboot, checks, record, label];

/** A handset already fused and locked, booted behind its AT port: what is left. */
export const AFTER_REBOOT: readonly Step[] = [reboot, checks, record, label];

/** A handset whose AT checks failed, still booted: the checks again, then its record and label. */
export const RECHECK: readonly Step[] = [checks, record, label];

/** The step that writes a failed handset's record. */
export const RECORD_STEP: Step = record;
