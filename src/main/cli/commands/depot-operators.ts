// `lockstep depot operators …`: the depot's administrator manages operators once, for every station
// (docs/depot.md, "Operators"). The administrator is the PostgreSQL login of --url (password from
// PGPASSWORD or ~/.pgpass), and the depot journals it with each change; PINs are prompted for or
// read from stdin, hashed here, and reach the depot only as their hash.
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { adminConnection } from '../../depot/connection.ts';
import { changeDepotOperator, depotOfflineSignIn, depotOperatorChanges, depotOperators, type DepotOperator } from '../../depot/operators-admin.ts';
import { CliError, EXIT_USAGE, jsonLine, type CliIo } from '../io.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { requireOption } from '../records-cli.ts';

export const DEPOT_OPERATORS_USAGE = `lockstep depot operators list --url URL [--json]
       lockstep depot operators add --url URL --id ID --name NAME [--role technician|supervisor|admin] [--json]
       lockstep depot operators disable|enable|unlock|reset-pin --url URL --id ID [--json]
       lockstep depot operators set-role --url URL --id ID --role technician|supervisor|admin [--json]
       lockstep depot operators changes --url URL [--id ID] [--json]
       lockstep depot operators offline-age --url URL [--hours H] [--json]
Stations apply each change at their next sync. PINs are typed at a prompt or read from stdin.
offline-age is how long a station cut off from the depot may sign operators in from its copy.`;

function describe(operator: DepotOperator): string {
  const state = operator.disabled ? 'disabled' : 'active';
  return `${operator.id}\t${operator.role}\t${state}\t${displaySafe(operator.displayName, 80)}\t(${operator.lastChange} ${operator.lastChangeAt} by ${displaySafe(operator.lastChangeBy, 63)})\n`;
}

function roleOf(value: string | undefined, fallback: Role | null = 'technician'): Role {
  if (value === undefined && fallback !== null) return fallback;
  if (value === undefined) throw new CliError(`--role is one of ${ROLES.join(', ')}.`, EXIT_USAGE);
  if (!(ROLES as readonly string[]).includes(value)) throw new CliError(`--role is one of ${ROLES.join(', ')}, not '${displaySafe(value, 40)}'.`, EXIT_USAGE);
  return value as Role;
}

export async function runDepotOperators(argv: readonly string[], io: CliIo): Promise<number> {
  refusePinInArgv(argv);
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      hours: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new CliError(`unexpected argument '${displaySafe(extra[0] ?? '', 40)}'.\nUsage: ${DEPOT_OPERATORS_USAGE}`, EXIT_USAGE);
  const config = adminConnection(requireOption(values.url, '--url postgres://ADMIN@HOST:PORT/DATABASE'));
  const pins = createPinSource();
  const show = (operator: DepotOperator, what: string): number => {
    io.out(values.json ? jsonLine(operator) : `${what}: ${describe(operator)}`);
    return 0;
  };
  switch (action) {
    case 'list': {
      const operators = await depotOperators(config);
      if (values.json) io.out(jsonLine(operators));
      else if (operators.length === 0) io.out('No operators at the depot yet; stations manage their own until the first is added.\n');
      else for (const operator of operators) io.out(describe(operator));
      return 0;
    }
    case 'add': {
      const id = requireOption(values.id, '--id ID');
      const displayName = requireOption(values.name, '--name NAME');
      const role = roleOf(values.role);
      const pin = await pins.read(`New PIN for ${displaySafe(id, 64)} (6-12 digits): `, { confirm: true });
      return show(await changeDepotOperator(config, { change: 'added', id, displayName, role, pin }), 'Added');
    }
    case 'reset-pin': {
      const id = requireOption(values.id, '--id ID');
      const pin = await pins.read(`New PIN for ${displaySafe(id, 64)} (6-12 digits): `, { confirm: true });
      return show(await changeDepotOperator(config, { change: 'pin-reset', id, pin }), 'PIN reset');
    }
    case 'set-role': {
      const role = roleOf(values.role, null);
      return show(await changeDepotOperator(config, { change: 'role-changed', id: requireOption(values.id, '--id ID'), role }), 'Role changed');
    }
    case 'disable':
    case 'enable':
    case 'unlock': {
      const change = ({ disable: 'disabled', enable: 'enabled', unlock: 'unlocked' } as const)[action];
      return show(await changeDepotOperator(config, { change, id: requireOption(values.id, '--id ID') }), change[0]?.toUpperCase() + change.slice(1));
    }
    case 'changes': {
      const changes = await depotOperatorChanges(config, values.id);
      if (values.json) io.out(jsonLine(changes));
      else for (const change of changes) io.out(`${change.madeAt}\t${change.operatorId}\t${change.change}\tby ${displaySafe(change.madeBy, 63)}\n`);
      return 0;
    }
    case 'offline-age': {
      const hours = values.hours;
      if (hours !== undefined && !/^[0-9]{1,3}(\.[0-9]{1,2})?$/.test(hours)) throw new CliError(`--hours is a number of hours, not '${displaySafe(hours, 20)}'.`, EXIT_USAGE);
      const age = await depotOfflineSignIn(config, hours === undefined ? undefined : Math.round(Number(hours) * 3600));
      if (values.json) io.out(jsonLine(age));
      else io.out(`Stations sign operators in from their copy for ${age.seconds / 3600} h without the depot (set ${age.changedAt} by ${displaySafe(age.changedBy, 63)}).\n`);
      return 0;
    }
    default:
      throw new CliError(`say what to do: list, add, disable, enable, unlock, reset-pin, set-role, changes or offline-age.\nUsage: ${DEPOT_OPERATORS_USAGE}`, EXIT_USAGE);
  }
}
