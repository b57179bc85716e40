// Child process of crash.test.ts: commits a provisioned record (its asset tag allocated in the same
// transaction), queues its label on a printer that never answers, says so on stdout and waits to be
// killed. Usage: node crash-labeller.ts DATABASE BATCH_ID OPERATOR SERIAL PRINTER_PORT
import { createLabelService } from '../../../src/main/labels/label-service.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { recordFor } from '../records/fixture.ts';

const [database, batchArg, operatorId, serial, port] = process.argv.slice(2);
if (!database || !batchArg || !operatorId || !serial || !port) throw new Error('usage: crash-labeller.ts DATABASE BATCH_ID OPERATOR SERIAL PRINTER_PORT');
const records = openStationRecords({ database });
const device = records.registerDevice({ batchId: Number(batchArg), serial, identity: {} });
const record = records.commitProvisioningRecord(recordFor(device.id, { outcome: 'provisioned', failedStep: null, failureCode: null, failureReason: null, imei: '352099001761484', operatorId }));
const service = createLabelService({ databasePath: database, templates: await loadLabelTemplates(), printerOptions: { timeoutMs: 60_000 } });
const { job } = await service.print({ record, printer: { address: `tcp://127.0.0.1:${port}`, format: 'zpl', template: '2x1-203' }, operatorId });
process.stdout.write(`${record.seq} ${'assetTag' in record ? record.assetTag : ''} ${job.id}\n`);
await new Promise(() => undefined);
