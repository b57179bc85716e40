// Record: the handset's outcome is committed to the hash-chained provisioning log, with the evidence
// each step proved. A failed handset gets its record too, naming the step and the reason; it states
// only what was done to this serial and proven by read-back.
import type { RecordEvidenceV3 } from '../../../shared/records.ts';
import { identityRecord, type RunFacts } from '../run-facts.ts';
import type { Step, StepContext } from '../step.ts';

export const record: Step<'record'> = {
  name: 'record',
  irreversible: false,
  async run(context) {
    const { facts, failure, batch } = context;
    const reported = (field: 'imei' | 'firmwareVersion'): string | null => facts.checks.find((check) => check.records === field)?.value ?? null;
    const committed = context.records.commitProvisioningRecord({
      deviceId: context.deviceId(),
      product: facts.identity?.product ?? '',
      hwRevision: facts.identity?.hwRevision ?? null,
      bootloaderVersion: facts.identity?.bootloaderVersion ?? null,
      imei: reported('imei'),
      firmwareVersion: reported('firmwareVersion'),
      bundleHash: batch.bundle.manifestSha256,
      bundleVersion: batch.bundle.manifest.version,
      fusesBurned: facts.fusesBurned,
      fusesFoundSet: facts.fusesFoundSet,
      fuseReadback: facts.fuseWordsAfter,
      locked: facts.locked,
      outcome: failure ? 'failed' : 'provisioned',
      failedStep: failure?.step ?? null,
      failureCode: failure?.reason.code ?? null,
      failureReason: failure?.reason.message ?? null,
      operatorId: batch.operatorId,
      authorisationId: facts.authorisationId,
      evidence: evidence(context, facts),
    });
    context.committed(committed);
    return { status: 'passed', data: { outcome: committed.outcome, seq: committed.seq }, detail: `${committed.outcome} ${committed.seq}` };
  },
};

function evidence(context: StepContext, facts: RunFacts): RecordEvidenceV3 {
  const authorisation = facts.authorisationId === null ? null : context.records.authorisations.get(facts.authorisationId);
  const reported = (field: 'imei' | 'firmwareVersion'): string | null => facts.checks.find((check) => check.records === field)?.value ?? null;
  return {
    slot: context.slot,
    supervisorId: authorisation?.supervisorId ?? null,
    startedAt: facts.startedAt,
    finishedAt: new Date().toISOString(),
    identityBefore: facts.identity ? identityRecord(facts.identity) : {},
    identityAfter: facts.checks.length === 0 ? {} : { imei: reported('imei'), firmwareVersion: reported('firmwareVersion') },
    partitions: facts.partitions,
    fuseWordsBefore: facts.fuseWordsBefore,
    lockState: facts.lockState,
    checks: facts.checks.map((check) => ({ id: check.id, passed: check.passed, command: check.command, answer: check.answer })),
    atPort: facts.atPort,
  };
}
