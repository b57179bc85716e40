// The operators a station already has when it joins a depot (docs/depot.md, "Operators a station
// already has"): those the depot lacks are offered for adding once an admin confirms, through
// depot.offer_operators, which only ever adds; an id both use for different people (another name,
// role or PIN hash) is a clash an admin resolves, keeping the depot's operator or renaming the
// station's. Nothing is merged silently: until resolved, the sync applies none of the depot's operators.
import type { z } from 'zod';
import type { DepotCredentials, OfferedOperator, OperatorClash, OperatorClashResolution, OperatorOffer } from '../../shared/depot.ts';
import { depotOperatorChangeSchema, type OwnOperator } from '../records/depot-operators.ts';
import { operatorIdSchema } from '../records/operators.ts';
import { DepotError, OperatorOfferRefused } from './errors.ts';
import { asDepotError, asDepotFailure } from './refusals.ts';
import { connectStation, type StationClient } from './station-client.ts';
import { readJoinMark } from './join-mark.ts';
import { journalClashResolution } from './station-journal.ts';
import { openStationSource } from './station-source.ts';

/** An operator as the depot holds it now (its newest change); hostile until parsed. */
const depotOperatorSchema = depotOperatorChangeSchema.pick({ displayName: true, role: true, pinHash: true, disabled: true }).extend({ id: operatorIdSchema });
type DepotOperatorState = z.infer<typeof depotOperatorSchema>;

const shown = (operator: OwnOperator | DepotOperatorState): OfferedOperator => ({ id: operator.id, displayName: operator.displayName, role: operator.role });

/** The station's own operators against the depot's: the enabled ones it lacks are offered, differing ones clash. */
export function compareOperators(own: readonly OwnOperator[], depot: readonly DepotOperatorState[]): Omit<OperatorOffer, 'join'> {
  const held = new Map(depot.map((operator) => [operator.id, operator]));
  const offer: OfferedOperator[] = [];
  const clashes: OperatorClash[] = [];
  for (const operator of own) {
    const theirs = held.get(operator.id);
    if (!theirs) {
      // A disabled operator is not offered: the depot would add it enabled.
      if (!operator.disabled) offer.push(shown(operator));
      continue;
    }
    const differs = [
      ...(theirs.displayName === operator.displayName ? [] : (['name'] as const)),
      ...(theirs.role === operator.role ? [] : (['role'] as const)),
      ...(theirs.pinHash === operator.pinHash ? [] : (['pin'] as const)),
    ];
    if (differs.length > 0) clashes.push({ id: operator.id, station: shown(operator), depot: { ...shown(theirs), disabled: theirs.disabled }, differs });
  }
  return { offer, clashes };
}

async function withStation<T>(credentials: DepotCredentials, timeoutMs: number, work: (client: StationClient) => Promise<T>): Promise<T> {
  let client: StationClient;
  try {
    client = await connectStation(credentials, timeoutMs);
  } catch (error) {
    throw asDepotError(error);
  }
  try {
    return await work(client);
  } catch (error) {
    throw asDepotFailure(error);
  } finally {
    await client.close();
  }
}

async function depotOperatorStates(client: StationClient): Promise<DepotOperatorState[]> {
  return (await client.depotOperators()).map((row, index) => {
    const parsed = depotOperatorSchema.safeParse(row);
    if (!parsed.success) throw new DepotError(`the depot's operator ${index + 1} is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  });
}

function ownOperators(databasePath: string): OwnOperator[] {
  const source = openStationSource(databasePath);
  try {
    return source.ownOperators();
  } finally {
    source.close();
  }
}

async function offerAgainst(databasePath: string, client: StationClient): Promise<{ own: OwnOperator[]; depot: DepotOperatorState[]; view: OperatorOffer }> {
  const own = ownOperators(databasePath);
  const depot = await depotOperatorStates(client);
  return { own, depot, view: { ...compareOperators(own, depot), join: await readJoinMark(databasePath) } };
}

/** What the station would offer its depot, and what clashes, as of now, over a connection the caller holds. */
export async function operatorOfferOver(client: StationClient, databasePath: string): Promise<OperatorOffer> {
  return (await offerAgainst(databasePath, client)).view;
}

/** What the station would offer its depot, and what clashes, as of now. */
export function readOperatorOffer(databasePath: string, credentials: DepotCredentials, timeoutMs = 15_000): Promise<OperatorOffer> {
  return withStation(credentials, timeoutMs, (client) => operatorOfferOver(client, databasePath));
}

/**
 * Adds the offered operators an admin confirmed (`ids`; all of the offer when null) at the depot, in
 * one call, under `joinId`, the join of the offer the admin saw (the station's kept join when
 * undefined: the CLI shows and offers in one run). The depot refuses the whole offer if it holds any
 * of the ids by then, or if that join is not the station's latest or is older than the offer window.
 * The next sync copies them back, and they become the depot's on this station.
 */
export async function offerOperatorsOver(
  client: StationClient,
  databasePath: string,
  ids: readonly string[] | null,
  joinId?: number | null,
): Promise<OfferedOperator[]> {
  const { own, view } = await offerAgainst(databasePath, client);
  const offered = new Set(view.offer.map((operator) => operator.id));
  const unknown = (ids ?? []).filter((id) => !offered.has(id));
  if (unknown.length > 0) throw new OperatorOfferRefused(`not offered to the depot (not this station's own, disabled, or already at the depot): ${unknown.join(', ')}`);
  const wanted = own.filter((operator) => offered.has(operator.id) && (ids === null || ids.includes(operator.id)));
  if (wanted.length > 0) await client.offerOperators(joinId === undefined ? (view.join?.id ?? null) : joinId, wanted);
  return wanted.map(shown);
}

export function offerOperators(databasePath: string, credentials: DepotCredentials, ids: readonly string[] | null, timeoutMs = 15_000): Promise<OfferedOperator[]> {
  return withStation(credentials, timeoutMs, (client) => offerOperatorsOver(client, databasePath, ids));
}

/** An admin's answer to one clash shown to them. */
export interface ClashResolutionRequest {
  readonly operatorId: string;
  readonly resolution: OperatorClashResolution;
  readonly renameTo: string | null;
  readonly byAdmin: string;
}

/**
 * An admin's resolution of a clash shown to them: the depot's operator takes the id over, or the
 * station's goes on under `renameTo` (an id neither holds; then offered like any other). Journaled on
 * the station with who resolved it; the next sync applies the depot's operators.
 */
export async function resolveOperatorClashOver(client: StationClient, databasePath: string, resolution: ClashResolutionRequest): Promise<OperatorOffer> {
  const { depot, view } = await offerAgainst(databasePath, client);
  if (!view.clashes.some((clash) => clash.id === resolution.operatorId)) throw new OperatorOfferRefused(`there is no clash over operator ${resolution.operatorId} with the depot.`);
  if (resolution.resolution === 'rename' && depot.some((operator) => operator.id === resolution.renameTo)) {
    throw new OperatorOfferRefused(`the depot already has an operator ${resolution.renameTo}; pick an id neither uses.`);
  }
  journalClashResolution(databasePath, resolution);
  return operatorOfferOver(client, databasePath);
}

export function resolveOperatorClash(databasePath: string, credentials: DepotCredentials, resolution: ClashResolutionRequest, timeoutMs = 15_000): Promise<OperatorOffer> {
  return withStation(credentials, timeoutMs, (client) => resolveOperatorClashOver(client, databasePath, resolution));
}
