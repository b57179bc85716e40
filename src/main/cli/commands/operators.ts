import { parseArgs } from 'node:util';
import { ROLES, type OperatorSummary, type Role } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import type { AdminRecovery } from '../../records/admin-recovery.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, jsonLine, type CliIo } from '../io.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { asCliErrors, openCliRecords, requireOption } from '../records-cli.ts';

const USAGE = `lockstep operators add --db FILE --id ID --name NAME [--role technician|supervisor|admin] [--as ADMIN] [--json]
       lockstep operators list --db FILE [--json]
       lockstep operators disable --db FILE --id ID --as ADMIN [--json]
       lockstep operators unlock --db FILE --id ID --as ADMIN [--json]
       lockstep operators enable --db FILE --id ID --as ADMIN [--json]
       lockstep operators reset-pin --db FILE --id ID --as ADMIN [--json]
       lockstep operators set-role --db FILE --id ID --role technician|supervisor|admin --as ADMIN [--json]
       lockstep operators recover --db FILE --id ADMIN --reason TEXT [--json]
       lockstep operators recoveries --db FILE [--json]
With --json standard output is one JSON line: the operator changed, the list, or the recovery.
PINs are typed at a prompt, or read from stdin one per line (the admin's first, then the new one).
The first operator added to a new station is its admin and needs no --as.
recover unlocks a locked-out admin without a PIN, for whoever can read the station key file
(station-key.pem beside the database): it proves possession by signing a fresh challenge with it,
and records who (OS account and host), when and why; recoveries lists them.`;

function describe(operator: OperatorSummary): string {
  const state = operator.disabledAt ? `disabled ${operator.disabledAt}` : operator.lockedAt ? `LOCKED ${operator.lockedAt}` : 'active';
  return `${operator.id}\t${operator.role}\t${state}\t${displaySafe(operator.displayName, 80)}\n`;
}

/** Who ran a recovery: the OS account and host, as the OS reported them. */
function performer(recovery: AdminRecovery): string {
  return displaySafe(`${recovery.osUser}@${recovery.host}`, 120);
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      as: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
}

function roleOf(value: string | undefined, fallback: Role): Role {
  if (value === undefined) return fallback;
  if (!(ROLES as readonly string[]).includes(value)) throw new CliError(`--role is one of ${ROLES.join(', ')}, not '${displaySafe(value, 40)}'.`, EXIT_USAGE);
  return value as Role;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  refusePinInArgv(argv);
  const { values, positionals } = parse(argv);
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument '${displaySafe(extra[0] ?? '', 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
  // Only `add` may create a station: any other action on a mistyped --db would create an empty one.
  const records = openCliRecords(values.db, { mustExist: action !== 'add' });
  try {
    const pins = createPinSource();
    const admin = async () => {
      const id = requireOption(values.as, '--as ADMIN (the admin authorising this)');
      return { id, pin: await pins.read(`PIN of admin ${displaySafe(id, 64)}: `) };
    };
    switch (action) {
      case 'list': {
        const operators = records.operators.list();
        if (values.json) io.out(jsonLine(operators));
        else if (operators.length === 0) io.out('No operators yet. Create the admin with: lockstep operators add --db FILE --id ID --name NAME\n');
        else for (const operator of operators) io.out(describe(operator));
        return 0;
      }
      case 'add': {
        const id = requireOption(values.id, '--id ID');
        const displayName = requireOption(values.name, '--name NAME');
        const newPin = () => pins.read(`New PIN for ${displaySafe(id, 64)} (6-12 digits): `, { confirm: true });
        if (records.operators.isEmpty()) {
          if (roleOf(values.role, 'admin') !== 'admin') throw new CliError('the first operator of a station is its admin: add it with --role admin (or no --role).');
          const pin = await newPin();
          const created = records.operators.createFirstAdmin({ id, displayName, pin });
          io.out(values.json ? jsonLine(created) : `Created the station's first admin: ${describe(created)}`);
          return 0;
        }
        const by = await admin();
        const pin = await newPin();
        const added = records.operators.add(by, { id, displayName, role: roleOf(values.role, 'technician'), pin });
        io.out(values.json ? jsonLine(added) : `Added ${describe(added)}`);
        return 0;
      }
      case 'disable':
      case 'unlock':
      case 'enable': {
        const id = requireOption(values.id, '--id ID');
        const by = await admin();
        const changed = records.operators[action](by, id);
        io.out(values.json ? jsonLine(changed) : describe(changed));
        return 0;
      }
      case 'set-role': {
        const id = requireOption(values.id, '--id ID');
        const role = roleOf(requireOption(values.role, '--role technician|supervisor|admin'), 'technician');
        const changed = records.operators.setRole(await admin(), id, role);
        io.out(values.json ? jsonLine(changed) : `Role changed: ${describe(changed)}`);
        return 0;
      }
      case 'reset-pin': {
        const id = requireOption(values.id, '--id ID');
        const by = await admin();
        const pin = await pins.read(`New PIN for ${displaySafe(id, 64)} (6-12 digits): `, { confirm: true });
        const reset = records.operators.resetPin(by, id, pin);
        io.out(values.json ? jsonLine(reset) : `PIN reset: ${describe(reset)}`);
        return 0;
      }
      case 'recover': {
        const id = requireOption(values.id, '--id ADMIN');
        const reason = requireOption(values.reason, '--reason TEXT (why the admin is recovered, for the audit trail)');
        const recovery = records.adminRecovery.recover({ adminId: id, reason });
        if (values.json) {
          io.out(jsonLine(recovery));
          return 0;
        }
        const locked = recovery.lockedAtBefore ? `, locked since ${recovery.lockedAtBefore}` : '';
        io.out(`Recovered admin ${recovery.operatorId}: unlocked, its ${recovery.failedAttemptsBefore} failed PINs cleared${locked}.\n`);
        io.out(`Recorded as recovery ${recovery.id} by ${performer(recovery)} at ${recovery.at}.\n`);
        return 0;
      }
      case 'recoveries': {
        const recoveries = records.adminRecovery.list();
        if (values.json) io.out(jsonLine(recoveries));
        else for (const recovery of recoveries) io.out(`${recovery.id}\t${recovery.at}\t${recovery.operatorId}\t${performer(recovery)}\t${displaySafe(recovery.reason, 500)}\n`);
        return 0;
      }
      default:
        throw new CliError(`say what to do: add, list, disable, unlock, enable, reset-pin, set-role, recover or recoveries.\nUsage: ${USAGE}`, EXIT_USAGE);
    }
  } finally {
    records.close();
  }
}

export const operatorsCommand: CliCommand = {
  usage: USAGE,
  run: (argv, io) => asCliErrors(() => run(argv, io)),
};
