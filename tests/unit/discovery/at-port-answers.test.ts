// What the station makes of an AT port's answers while it syncs, asks the serial number and runs the
// checks: a scripted port (an in-process byte stream answering each command line as a modem frames
// it, or not at all) behind the real AtClient.
import { Duplex } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtClient, streamLink } from '../../../src/main/at/client.ts';
import { readAtSerial, runAtChecks, syncAt } from '../../../src/main/handset/at-checks.ts';
import { HandsetError } from '../../../src/main/handset/errors.ts';
import { classifyFailure } from '../../../src/main/pipeline/failure.ts';
import { defaultProfilesDir, readProfile } from '../../../src/main/profiles/profile-store.ts';
import type { DeviceProfile } from '../../../src/shared/profile.ts';

/** A port that answers each command with `answer(command)`'s lines (the final result code last), or stays silent on null. */
function scriptedPort(answer: (command: string) => readonly string[] | null): { client: AtClient; commands: string[] } {
  const commands: string[] = [];
  let pending = '';
  const stream: Duplex = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _encoding, callback) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r'); end >= 0; end = pending.indexOf('\r')) {
        const command = pending.slice(0, end);
        pending = pending.slice(end + 1);
        commands.push(command);
        const lines = answer(command);
        if (lines) stream.push(lines.map((line) => `\r\n${line}\r\n`).join(''));
      }
      callback();
    },
  });
  return { client: new AtClient(streamLink(stream), 'scripted'), commands };
}

async function profile(): Promise<DeviceProfile> {
  const loaded = await readProfile(join(defaultProfilesDir(), 'lockstep-ref.json'));
  return { ...loaded, timeouts: { ...loaded.timeouts, atCommandMs: 200 } };
}

async function rejection(promise: Promise<unknown>): Promise<HandsetError> {
  const error = await promise.then(
    () => new Error('it resolved'),
    (failure: unknown) => failure,
  );
  if (!(error instanceof HandsetError)) throw error;
  return error;
}

describe('AT answers', () => {
  it('syncs a port that answers ERROR before OK, and calls one that only answers ERROR an unexpected answer', async () => {
    let errors = 2;
    const recovering = scriptedPort(() => (errors-- > 0 ? ['ERROR'] : ['OK']));
    await syncAt(recovering.client, await profile());
    expect(recovering.commands).toEqual(['AT', 'AT', 'AT']);
    const refusing = scriptedPort(() => ['ERROR']);
    const error = await rejection(syncAt(refusing.client, await profile()));
    expect(error.code).toBe('UNEXPECTED_ANSWER');
    expect(error.message).toBe('scripted: the AT port does not answer AT with OK (it answered ERROR)');
  });

  it('calls a silent port AT_TIMEOUT, a handset fault with its code to the operator, not a station fault', async () => {
    const silent = scriptedPort(() => null);
    const error = await rejection(syncAt(silent.client, await profile()));
    expect(error.code).toBe('AT_TIMEOUT');
    expect(classifyFailure(error).code).toBe('AT_TIMEOUT');
  });

  it('fails the checks of a port that goes silent mid-check as AT_TIMEOUT', async () => {
    const port = scriptedPort((command) => (command === 'AT+CGSN' ? ['490154203237518', 'OK'] : null));
    const error = await rejection(runAtChecks(port.client, await profile(), { bundleVersion: '1.0.0' }));
    expect(error.code).toBe('AT_TIMEOUT');
    expect(classifyFailure(error)).toMatchObject({ code: 'AT_TIMEOUT', message: "scripted 'AT+CGMR': no final result code within 0.2 s. Power-cycle the handset and retry." });
    expect(port.commands).toEqual(['AT+CGSN', 'AT+CGMR']);
  });

  it('takes no serial number outside the serial grammar from a port', async () => {
    const hostile = scriptedPort(() => ['+XSERIAL: LSIM\x1b[2J0001', 'OK']);
    expect(await readAtSerial(hostile.client, await profile())).toBeNull();
    const honest = scriptedPort(() => ['+XSERIAL: LSIM0001', 'OK']);
    expect(await readAtSerial(honest.client, await profile())).toBe('LSIM0001');
  });

  it('never takes the final result code for a value: a firmware answer of only OK is "no line matches", not "reports OK"', async () => {
    const port = scriptedPort((command) => (command === 'AT+CGSN' ? ['490154203237518', 'OK'] : ['OK']));
    const results = await runAtChecks(port.client, await profile(), { bundleVersion: '1.0.0' });
    const firmware = results.find((result) => result.records === 'firmwareVersion');
    expect(firmware).toMatchObject({ passed: false, value: null });
    expect(firmware?.reason).toMatch(/no line of the answer matches \(OK\)/);
    expect(firmware?.reason).not.toMatch(/reports OK/);
    const silentSerial = scriptedPort(() => ['OK']);
    const serialPattern = { ...(await profile()), at: { ...(await profile()).at, serial: { command: 'AT+XSERIAL?', pattern: '^(\\w+)$' } } };
    expect(await readAtSerial(silentSerial.client, serialPattern)).toBeNull();
  });
});
