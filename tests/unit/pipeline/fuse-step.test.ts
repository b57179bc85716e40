// The fuse step against a fake bootloader: each policy bit programmed at most once, journaled as sent
// before it goes out, proven by read-back; found-set bits and sent-but-unset bits are alarms; a link
// that now answers as another handset gets nothing.
import { describe, expect, it } from 'vitest';
import { fuse } from '../../../src/main/pipeline/steps/fuse.ts';
import { failure, FakeBootloader, harness, type EarlierEvent } from './step-harness.ts';

const progs = (bootloader: FakeBootloader): string[] => bootloader.commands.filter((command) => command.startsWith('oem fuse prog'));

describe('the fuse step', () => {
  it('journals the read-before, then the program as sent before it goes out, then its acknowledgement, and proves the bits by read-back', async () => {
    const bootloader = new FakeBootloader();
    const { context, notes, facts } = harness('fuse', { bootloader });
    let sentWhenJournaled: string[] | null = null;
    const note = context.note;
    context.note = async (data, detail) => {
      if ((data as { event: string }).event === 'program-sent') sentWhenJournaled = progs(bootloader);
      await note(data, detail);
    };
    const outcome = await fuse.run(context);
    expect(outcome).toMatchObject({ status: 'passed', data: { after: [{ bank: 3, word: 0, value: 0x31 }], burned: ['CAMERA_DISABLE', 'GPS_DISABLE'] } });
    expect(sentWhenJournaled).toEqual([]);
    expect(notes.map((entry) => entry.data)).toEqual([
      { event: 'read-before', words: [{ bank: 3, word: 0, value: 0x01 }], programsUnjournaled: false },
      { event: 'program-sent', bank: 3, word: 0, mask: 0x30 },
      { event: 'program-acknowledged', bank: 3, word: 0, mask: 0x30 },
    ]);
    expect(progs(bootloader)).toEqual(['oem fuse prog 3 0 0x30']);
    expect(facts).toMatchObject({ fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'], fusesFoundSet: [], fuseWordsBefore: [{ bank: 3, word: 0, value: 0x01 }], authorisationId: 7 });
    // Identity is read again before the step reads anything and before the program.
    expect(bootloader.commands.filter((command) => command === 'getvar:serialno')).toHaveLength(2);
  });

  it('after a lost answer, passes on the read-back alone when the bits are set, sending nothing', async () => {
    const bootloader = new FakeBootloader();
    bootloader.fuseWord = 0x31;
    const earlier: EarlierEvent[] = [
      { step: 'fuse', status: 'started', code: null, data: { event: 'read-before', words: [{ bank: 3, word: 0, value: 0x01 }], programsUnjournaled: false } },
      { step: 'fuse', status: 'started', code: null, data: { event: 'program-sent', bank: 3, word: 0, mask: 0x30 } },
    ];
    const { context, facts } = harness('fuse', { bootloader, earlier });
    expect(await fuse.run(context)).toMatchObject({ status: 'passed', data: { burned: ['CAMERA_DISABLE', 'GPS_DISABLE'] } });
    expect(progs(bootloader)).toEqual([]);
    expect(facts.fuseWordsBefore).toEqual([{ bank: 3, word: 0, value: 0x01 }]);
  });

  it('after a lost or refused answer, raises FUSE_UNCONFIRMED when the read-back shows the sent bits unset, and never sends them again', async () => {
    const bootloader = new FakeBootloader();
    const earlier: EarlierEvent[] = [{ step: 'fuse', status: 'started', code: null, data: { event: 'program-sent', bank: 3, word: 0, mask: 0x30 } }];
    const { context } = harness('fuse', { bootloader, earlier });
    const error = await failure(fuse.run(context));
    expect(error).toMatchObject({ code: 'FUSE_UNCONFIRMED', data: { finding: 'unconfirmed', bank: 3, word: 0, sent: 0x30, actual: 0x01 } });
    expect(progs(bootloader)).toEqual([]);
  });

  it('counts the bits an older station may have burned without journaling them as sent', async () => {
    const bootloader = new FakeBootloader();
    const earlier: EarlierEvent[] = [{ step: 'fuse', status: 'started', code: null, data: { event: 'read-before', words: [{ bank: 3, word: 0, value: 0x01 }], programsUnjournaled: true } }];
    const { context } = harness('fuse', { bootloader, earlier });
    expect(await failure(fuse.run(context))).toMatchObject({ code: 'FUSE_UNCONFIRMED' });
    expect(progs(bootloader)).toEqual([]);
  });

  it('raises FUSES_FOUND_SET for policy bits set that this station never sent, naming them, and burns nothing', async () => {
    const bootloader = new FakeBootloader();
    bootloader.fuseWord = 0x11;
    const { context, facts } = harness('fuse', { bootloader });
    const error = await failure(fuse.run(context));
    expect(error).toMatchObject({ code: 'FUSES_FOUND_SET', data: { finding: 'found-set', fuses: ['CAMERA_DISABLE'], words: [{ bank: 3, word: 0, value: 0x11 }] } });
    expect(facts).toMatchObject({ fusesFoundSet: ['CAMERA_DISABLE'], fusesBurned: [] });
    expect(progs(bootloader)).toEqual([]);
  });

  it('raises FUSE_READBACK_MISMATCH when the word reads wrong after the burn, or is not a fuse word at all', async () => {
    const lying = new FakeBootloader();
    let reads = 0;
    lying.lie = (command) => (command === 'oem fuse read 3 0' && ++reads === 2 ? ['INFO0x00000011', 'OKAY'] : null);
    expect(await failure(fuse.run(harness('fuse', { bootloader: lying }).context))).toMatchObject({
      code: 'FUSE_READBACK_MISMATCH',
      data: { finding: 'readback-mismatch', expected: 0x31, actual: 0x11 },
    });
    const garbled = new FakeBootloader();
    reads = 0;
    garbled.lie = (command) => (command === 'oem fuse read 3 0' && ++reads === 2 ? ['INFO\x1b[2Jgarbage', 'OKAY'] : null);
    const error = await failure(fuse.run(harness('fuse', { bootloader: garbled }).context));
    expect(error.code).toBe('FUSE_READBACK_MISMATCH');
    expect(error.message).not.toContain('\x1b');
    expect(progs(garbled)).toHaveLength(1);
  });

  it('stops with IDENTITY_CHANGED, having sent nothing, when the link answers as another handset', async () => {
    const bootloader = new FakeBootloader();
    const { context } = harness('fuse', { bootloader });
    bootloader.vars.serialno = 'LSUT0002';
    expect(await failure(fuse.run(context))).toMatchObject({ code: 'IDENTITY_CHANGED' });
    expect(bootloader.commands.filter((command) => command.startsWith('oem fuse'))).toEqual([]);
  });

  it('leaves the outcome to the read-back of the next attempt when the answer to the program is lost', async () => {
    const bootloader = new FakeBootloader();
    bootloader.answerLost = /^oem fuse prog/;
    const { context, notes } = harness('fuse', { bootloader });
    await expect(fuse.run(context)).rejects.toThrow();
    expect(notes.map((entry) => (entry.data as { event: string }).event)).toEqual(['read-before', 'program-sent']);
    expect(bootloader.fuseWord).toBe(0x31);
  });

  it('refuses to run on a handset whose verify did not pass in this attempt', async () => {
    const bootloader = new FakeBootloader();
    await expect(fuse.run(harness('fuse', { bootloader, facts: { verified: false } }).context)).rejects.toThrow(/only after the verify step/);
    expect(bootloader.commands).toEqual([]);
  });

  it('is skipped by a policy that burns no fuses', () => {
    expect(fuse.skipReason?.(harness('fuse', { fuses: [] }).context)).toMatch(/burns no fuses/);
    expect(fuse.skipReason?.(harness('fuse').context)).toBeNull();
  });
});
