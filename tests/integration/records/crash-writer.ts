// Child process of crash.test.ts: commits provisioning records in a loop and prints each record's
// sequence number only after commitProvisioningRecord has returned, i.e. after the commit is
// durable. The parent kills it with SIGKILL mid-stream. Usage: node crash-writer.ts DATA_DIR BATCH_ID OPERATOR
import { openStationRecords } from '../../../src/main/records/station-records.ts';

const [dataDir, batchArg, operatorId] = process.argv.slice(2);
if (!dataDir || !batchArg || !operatorId) throw new Error('usage: crash-writer.ts DATA_DIR BATCH_ID OPERATOR');
const batchId = Number(batchArg);
const records = openStationRecords(dataDir);

for (let n = 0; ; n += 1) {
  const serial = `LS7C${String(n).padStart(6, '0')}`;
  const device = records.registerDevice({ batchId, serial, identity: { serialno: serial, product: 'lockstep-ref' } });
  records.appendStepEvent({ deviceId: device.id, step: 'flash', status: 'passed', operatorId });
  const record = records.commitProvisioningRecord({
    deviceId: device.id,
    product: 'lockstep-ref',
    hwRevision: 'B2',
    bootloaderVersion: 'LSB-3.1.7',
    imei: `35209900${String(n).padStart(7, '0')}`,
    firmwareVersion: 'LSR-14.2.0',
    bundleHash: 'a3f1c9e07b5d2846f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f7081',
    bundleVersion: 'LSR-14.2.0',
    fusesBurned: [],
    fuseReadback: [{ bank: 3, word: 0, value: 0x01 }],
    locked: false,
    outcome: 'failed',
    failedStep: 'checks',
    failureReason: 'reboot timeout (crash test)',
    operatorId,
    authorisationId: null,
  });
  // Pipes are written synchronously on Linux, so this line is out before the next commit starts.
  process.stdout.write(`${record.seq}\n`);
}
