// `lockstep depot offer-operators` and `lockstep depot resolve-operator`: the operators a station had
// before it joined its depot (docs/depot.md, "Operators a station already has"). The station's admin
// confirms with their PIN: offering adds the ones the depot lacks there; a clash (one id, two people)
// is resolved by keeping the depot's operator or renaming the station's. Each ends with a sync pass,
// so the station applies the depot's operators at once.
import { parseArgs } from 'node:util';
import type { DepotJoinMark, OperatorOffer } from '../../../shared/depot.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { OperatorClashError } from '../../depot/errors.ts';
import { DEPOT_OFFER_WINDOW_MINUTES } from '../../depot/migrations.ts';
import { offerOperators, readOperatorOffer, resolveOperatorClash } from '../../depot/operator-offer.ts';
import { joinedCredentials } from '../../depot/station-depot.ts';
import { createDepotSync } from '../../depot/sync.ts';
import { CliError, EXIT_USAGE, jsonLine, type CliIo } from '../io.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { openCliRecords, requireOption } from '../records-cli.ts';

export const DEPOT_OFFER_USAGE = `lockstep depot offer-operators --db FILE [--as ADMIN [--id ID]...] [--json]
       lockstep depot resolve-operator --db FILE --id ID --keep-depot|--rename-to NEW --as ADMIN [--json]
offer-operators lists this station's operators the depot lacks and the clashes (one id, another
name, role or PIN at the depot); with --as, the admin's PIN confirms and they are added at the depot
(all, or each --id). resolve-operator settles a clash: --keep-depot lets the depot's operator take
the id over on this station; --rename-to gives the station's operator a new id (then offer it).`;

/** Which join an offer is made under, and until when the depot takes it (it counts from that join, not from a later one). */
function offerWindowText(join: DepotJoinMark | null, db: string): string {
  const again = `join again (lockstep depot join --db ${displaySafe(db)} --credentials FILE), then offer them`;
  if (join === null) return `This station keeps no join its operators can be offered under: ${again}.`;
  const closes = new Date(Date.parse(join.joinedAt) + DEPOT_OFFER_WINDOW_MINUTES * 60_000).toISOString();
  return `Compared at join ${join.id} (${join.joinedAt}): the depot takes the offer until ${closes}, and not after another join; later, ${again}.`;
}

/** The offer and the clashes, in words, with what to run next. */
export function operatorOfferText(view: OperatorOffer, db: string): string {
  const lines: string[] = [];
  if (view.offer.length > 0) {
    lines.push(`Operators of this station the depot lacks (${view.offer.length}):`);
    for (const operator of view.offer) lines.push(`  ${operator.id}\t${operator.role}\t${displaySafe(operator.displayName, 80)}`);
    lines.push(`  Offer them to the depot: lockstep depot offer-operators --db ${displaySafe(db)} --as ADMIN`);
  }
  for (const clash of view.clashes) {
    const depotSide = `${clash.depot.role}, ${displaySafe(clash.depot.displayName, 80)}${clash.depot.disabled ? ', disabled' : ''}`;
    lines.push(
      `CLASH ${clash.id}: this station's is ${clash.station.role}, ${displaySafe(clash.station.displayName, 80)}; the depot's is ${depotSide} ` +
        `(differs: ${clash.differs.join(', ')}). None of the depot's operators is applied until an admin resolves it:`,
      `  lockstep depot resolve-operator --db ${displaySafe(db)} --id ${clash.id} --keep-depot|--rename-to NEW --as ADMIN`,
    );
  }
  if (lines.length === 0) lines.push("This station's operators are all at the depot as they are here.");
  else if (view.offer.length > 0) lines.push(offerWindowText(view.join, db));
  return `${lines.join('\n')}\n`;
}

export async function runDepotOffer(action: 'offer-operators' | 'resolve-operator', argv: readonly string[], io: CliIo): Promise<number> {
  refusePinInArgv(argv);
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      as: { type: 'string' },
      id: { type: 'string', multiple: true },
      'keep-depot': { type: 'boolean', default: false },
      'rename-to': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new CliError(`unexpected argument '${displaySafe(positionals[0] ?? '', 40)}'.\nUsage: ${DEPOT_OFFER_USAGE}`, EXIT_USAGE);
  const records = openCliRecords(values.db, { mustExist: true });
  const databasePath = records.databasePath;
  let admin: string | null = null;
  try {
    if (values.as !== undefined) {
      const pin = await createPinSource().read(`PIN of admin ${displaySafe(values.as, 64)}: `);
      admin = records.operators.authenticate({ id: values.as, pin }, ['admin']).id;
    }
  } finally {
    records.close();
  }
  const credentials = await joinedCredentials(databasePath);
  if (!credentials) throw new CliError('this station has not joined a depot (lockstep depot join --db FILE --credentials FILE).');
  const ids = values.id ?? [];
  let changed: unknown = null;
  if (action === 'offer-operators') {
    if (admin === null && ids.length > 0) throw new CliError('--id names operators to offer: confirm with --as ADMIN.', EXIT_USAGE);
    if (admin !== null) changed = { offered: await offerOperators(databasePath, credentials, ids.length > 0 ? ids : null) };
  } else {
    const [id, ...more] = ids;
    if (id === undefined || more.length > 0) throw new CliError('resolve-operator takes one --id ID.', EXIT_USAGE);
    if (values['keep-depot'] === (values['rename-to'] !== undefined)) throw new CliError('say --keep-depot or --rename-to NEW (one of them).', EXIT_USAGE);
    const byAdmin = requireOption(admin ?? undefined, '--as ADMIN (the admin resolving it)');
    const renameTo = values['rename-to'] ?? null;
    await resolveOperatorClash(databasePath, credentials, { operatorId: id, resolution: renameTo === null ? 'keep-depot' : 'rename', renameTo, byAdmin });
    changed = { resolved: id, renamedTo: renameTo };
  }
  if (changed !== null) {
    // One pass now, so the depot's operators (those just offered among them) apply at once.
    const sync = createDepotSync({ databasePath, credentials });
    try {
      await sync.drain();
    } catch (error) {
      // A clash left is shown below; anything else is for `lockstep depot sync` to retry.
      if (!(error instanceof OperatorClashError)) io.err(`The next sync applies the depot's operators: ${displaySafe((error as Error).message, 600)}\n`);
    } finally {
      await sync.stop();
    }
  }
  const view = await readOperatorOffer(databasePath, credentials);
  if (values.json) io.out(jsonLine({ ...(changed as object | null), ...view }));
  else io.out(operatorOfferText(view, databasePath));
  return 0;
}
