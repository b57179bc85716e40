// Fuse: burn the bits the bundle's policy demands, each at most once, only on the handset identified
// and verified in this attempt, and prove them by read-back (esptool's rule: read back after every
// burn). What reaches the handset is journaled before it is sent; after an answer that never came,
// only a read-back decides, and a bit that was sent but reads unset is an alarm, never sent again.
// Policy bits that read set although this station never sent them were found set: an alarm too.
import { HandsetError } from '../../handset/errors.ts';
import type { FuseReadback } from '../../../shared/step-events.ts';
import { StepFailure } from '../failure.ts';
import { describeBits, describeWords, fusesIn, fuseWordPlans, hex8, wordKey, wordMap } from '../fuse-plan.ts';
import type { Step } from '../step.ts';
import { confirmIdentity, fastbootOf } from './handset-access.ts';

const QUARANTINE = 'Quarantine the handset now and hand it to the security officer with this message; a supervisor decides what happens to it.';

export const fuse: Step<'fuse'> = {
  name: 'fuse',
  irreversible: true,
  skipReason: (context) => (context.batch.bundle.manifest.policy.fuses.length === 0 ? 'the bundle policy burns no fuses' : null),
  async run(context) {
    const { fastboot, profile: loaded } = fastbootOf(context);
    const { facts, signal } = context;
    const profile = loaded.profile;
    if (!facts.verified) throw new Error('the fuse step runs only after the verify step passed in the same attempt');
    const { fuses } = context.batch.bundle.manifest.policy;
    const plans = fuseWordPlans(profile, fuses);
    const history = context.history();
    await confirmIdentity(context);
    const now: FuseReadback[] = [];
    for (const plan of plans) now.push({ bank: plan.bank, word: plan.word, value: await fastboot.readFuseWord(plan.bank, plan.word, signal) });
    await context.note({ event: 'read-before', words: now, programsUnjournaled: false }, `words before: ${describeWords(now)}`);
    const first = new Map([...wordMap(now), ...history.fuseWordsFirstRead]);
    facts.fuseWordsBefore = plans.map((plan) => ({ bank: plan.bank, word: plan.word, value: first.get(wordKey(plan)) ?? 0 }));

    // Every bit this station ever sent for this handset: an older station's unjournaled burns count as sent.
    const sent = new Map(plans.map((plan) => {
      const unjournaled = history.fuseProgramsUnjournaled ? plan.mask & ~(first.get(wordKey(plan)) ?? 0) : 0;
      return [wordKey(plan), ((history.fuseBitsSent.get(wordKey(plan)) ?? 0) | unjournaled) >>> 0] as const;
    }));
    const nowBits = wordMap(now);
    const foundSet = fusesIn(profile, fuses, new Map(plans.map((plan) => [wordKey(plan), (nowBits.get(wordKey(plan)) ?? 0) & ~(sent.get(wordKey(plan)) ?? 0)])));
    if (foundSet.length > 0) {
      facts.fusesFoundSet = foundSet;
      throw new StepFailure(
        'FUSES_FOUND_SET',
        `ALARM: fuse(s) ${foundSet.join(', ')} already read as burned (${describeWords(now)}) although this station never programmed them`,
        QUARANTINE,
        { finding: 'found-set', fuses: foundSet, words: now },
        { params: { fuses: foundSet.join(', '), words: describeWords(now) } },
      );
    }
    for (const plan of plans) {
      const was = nowBits.get(wordKey(plan)) ?? 0;
      const unconfirmed = (plan.mask & (sent.get(wordKey(plan)) ?? 0) & ~was) >>> 0;
      if (unconfirmed !== 0) {
        throw new StepFailure(
          'FUSE_UNCONFIRMED',
          `ALARM: fuse bank ${plan.bank} word ${plan.word} reads ${hex8(was)}, but bits ${hex8(unconfirmed)} were sent to the handset in an earlier attempt whose answer was lost or refused; they are never sent twice`,
          QUARANTINE,
          { finding: 'unconfirmed', bank: plan.bank, word: plan.word, sent: unconfirmed, actual: was },
          { params: { bank: String(plan.bank), word: String(plan.word), value: hex8(was), sent: hex8(unconfirmed) } },
        );
      }
    }
    for (const plan of plans) {
      const was = nowBits.get(wordKey(plan)) ?? 0;
      const missing = (plan.mask & ~was) >>> 0;
      if (missing !== 0) {
        await confirmIdentity(context);
        const mask = { bank: plan.bank, word: plan.word, mask: missing };
        await context.note({ event: 'program-sent', ...mask }, `sending: program bank ${plan.bank} word ${plan.word} mask ${hex8(missing)}`);
        sent.set(wordKey(plan), ((sent.get(wordKey(plan)) ?? 0) | missing) >>> 0);
        await fastboot.programFuse(plan.bank, plan.word, missing, signal);
        await context.note({ event: 'program-acknowledged', ...mask }, `the handset acknowledged: program bank ${plan.bank} word ${plan.word} mask ${hex8(missing)}`);
      }
      const after = await readBack(() => fastboot.readFuseWord(plan.bank, plan.word, signal), plan, missing);
      const expected = (was | plan.mask) >>> 0;
      facts.fuseWordsAfter.push({ bank: plan.bank, word: plan.word, value: after });
      if (after !== expected) {
        throw new StepFailure(
          'FUSE_READBACK_MISMATCH',
          `ALARM: fuse bank ${plan.bank} word ${plan.word} reads ${hex8(after)} after burning; ${hex8(expected)} was expected (${describeBits(after, expected)})`,
          QUARANTINE,
          { finding: 'readback-mismatch', bank: plan.bank, word: plan.word, expected, actual: after },
          { params: { bank: String(plan.bank), word: String(plan.word), value: hex8(after), expected: hex8(expected) } },
        );
      }
    }
    // Burned by this station: bits it sent, now proven set.
    const proven = new Map(facts.fuseWordsAfter.map((entry) => [wordKey(entry), entry.value & (sent.get(wordKey(entry)) ?? 0)]));
    facts.fusesBurned = fusesIn(profile, fuses, proven);
    facts.authorisationId = context.decision?.authorised ? context.decision.authorisationId : null;
    return { status: 'passed', data: { after: facts.fuseWordsAfter, burned: facts.fusesBurned }, detail: `words after: ${describeWords(facts.fuseWordsAfter)}` };
  },
};

/** A read-back that is not a fuse word after a burn is an alarm: what the handset did cannot be known. */
async function readBack(read: () => Promise<number>, plan: { bank: number; word: number }, burned: number): Promise<number> {
  try {
    return await read();
  } catch (error) {
    if (burned === 0 || !(error instanceof HandsetError && error.code === 'UNEXPECTED_ANSWER')) throw error;
    throw new StepFailure(
      'FUSE_READBACK_MISMATCH',
      `ALARM: after burning bits ${hex8(burned)} of fuse bank ${plan.bank} word ${plan.word}, the handset's read-back is not a fuse word (${error.message})`,
      QUARANTINE,
      null,
      { detail: 'FUSE_READBACK_UNREADABLE', params: { bank: String(plan.bank), word: String(plan.word), sent: hex8(burned) } },
    );
  }
}
