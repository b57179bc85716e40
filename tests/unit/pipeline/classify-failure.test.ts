// Every coded error keeps its code on the way to the operator, with the action its code calls for;
// anything uncoded is a station fault, and an unknown thrown value still reads as text.
import { describe, expect, it } from 'vitest';
import { BundleError, ImageChangedError } from '../../../src/main/bundle/errors.ts';
import {
  DeviceDisconnectedError,
  FastbootCancelledError,
  FastbootConnectError,
  FastbootFailError,
  FastbootProtocolError,
  FastbootTimeoutError,
  FastbootUsageError,
  FlashCheckError,
  FlashImageError,
} from '../../../src/main/fastboot/errors.ts';
import { HandsetError } from '../../../src/main/handset/errors.ts';
import { classifyFailure, StepFailure } from '../../../src/main/pipeline/failure.ts';
import { RecordsError } from '../../../src/main/records/errors.ts';
import { CodedError } from '../../../src/shared/coded-error.ts';

const DEVICE = 'tcp:127.0.0.1:5554';

describe('classifyFailure', () => {
  it('gives each fastboot failure its own code', () => {
    const cases: [Error, string][] = [
      [new DeviceDisconnectedError(DEVICE, 'getvar:serialno', 'reset'), 'DISCONNECTED'],
      [new FastbootTimeoutError(DEVICE, 'flash:boot', 5000), 'TIMEOUT'],
      [new FastbootFailError(DEVICE, 'flash:boot', 'no'), 'DEVICE_REFUSED'],
      [new FastbootProtocolError(DEVICE, null, 'garbage'), 'PROTOCOL'],
      [new FastbootConnectError(DEVICE, 'refused'), 'CONNECT_FAILED'],
      [new FastbootCancelledError(DEVICE, 'flash:boot'), 'ABORTED'],
      [new FlashImageError(DEVICE, 'flash:boot', 'unreadable'), 'IMAGE_UNREADABLE'],
      [new FastbootUsageError(DEVICE, 'flash:x', 'bad argument'), 'INTERNAL'],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(CodedError);
      const reason = classifyFailure(error);
      expect(reason.code).toBe(code);
      expect(reason.message).toBe(error.message);
      expect(reason.action.length).toBeGreaterThan(10);
    }
    expect(classifyFailure(new FastbootUsageError(DEVICE, 'flash:x', 'bad')).action).toMatch(/station fault/);
    expect(classifyFailure(new DeviceDisconnectedError(DEVICE, null, 'gone')).action).toMatch(/^Plug the handset back in/);
  });

  it('reports a rejected piece by what rejected it', () => {
    const changed = new ImageChangedError('boot', 4096, 'hash differs');
    const check = new FlashCheckError(DEVICE, 'flash:boot', 2, changed);
    expect(check.code).toBe('IMAGE_CHANGED');
    expect(classifyFailure(check)).toMatchObject({ code: 'IMAGE_CHANGED', message: changed.message, action: expect.stringMatching(/lockstep bundle verify/) });
    expect(new FlashCheckError(DEVICE, 'flash:boot', 2, new Error('bug')).code).toBe('INTERNAL');
  });

  it('sets a handset aside for an alarm or a disallowed answer, and asks for a replug otherwise', () => {
    expect(classifyFailure(new HandsetError('AT_PORT_CONFLICT', 'two ports')).action).toMatch(/^Set the handset aside/);
    expect(classifyFailure(new HandsetError('UNEXPECTED_ANSWER', 'odd')).action).toMatch(/^Set the handset aside/);
    expect(classifyFailure(new HandsetError('AT_TIMEOUT', 'silent'))).toMatchObject({ code: 'AT_TIMEOUT', action: expect.stringMatching(/^Unplug the handset/) });
  });

  it("keeps a step's own action and a bundle's code", () => {
    expect(classifyFailure(new StepFailure('VERIFY_MISMATCH', 'differs', 'Retry it.'))).toEqual({
      code: 'VERIFY_MISMATCH',
      message: 'differs',
      action: 'Retry it.',
      detail: { key: 'VERIFY_MISMATCH', params: {} },
    });
    expect(classifyFailure(new BundleError('BAD_SIGNATURE', 'bad'))).toMatchObject({ code: 'BAD_SIGNATURE', action: expect.stringMatching(/copy it again/) });
  });

  it('calls anything without a failure code a station fault, in words even for a thrown non-error', () => {
    expect(classifyFailure(new RecordsError('RECORDS_REFUSED', 'disk full'))).toMatchObject({ code: 'INTERNAL', message: 'disk full' });
    expect(classifyFailure(undefined)).toMatchObject({ code: 'INTERNAL', message: 'undefined' });
    expect(classifyFailure('plain\u001btext')).toMatchObject({ code: 'INTERNAL', message: 'plain\\x1Btext' });
  });
});
