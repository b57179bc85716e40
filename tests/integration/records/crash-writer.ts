// Child process of crash.test.ts: commits provisioning records in a loop and prints each record's
// sequence number only after commitProvisioningRecord has returned, i.e. after the commit is
// durable. The parent kills it with SIGKILL mid-stream. Usage: node crash-writer.ts DATA_DIR BATCH_ID OPERATOR
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { recordFor } from './fixture.ts';

const [dataDir, batchArg, operatorId] = process.argv.slice(2);
if (!dataDir || !batchArg || !operatorId) throw new Error('usage: crash-writer.ts DATA_DIR BATCH_ID OPERATOR');
const batchId = Number(batchArg);
const records = openStationRecords(dataDir);

for (let n = 0; ; n += 1) {
  const serial = `LS7C${String(n).padStart(6, '0')}`;
  const device = records.registerDevice({ batchId, serial, identity: { serialno: serial, product: 'lockstep-ref' } });
  records.appendStepEvent({ deviceId: device.id, step: 'flash', status: 'passed', data: { written: true, bytes: 4096 }, operatorId });
  const record = records.commitProvisioningRecord(recordFor(device.id, { imei: `35209900${String(n).padStart(7, '0')}`, operatorId }));
  // Pipes are written synchronously on Linux, so this line is out before the next commit starts.
  process.stdout.write(`${record.seq}\n`);
}
