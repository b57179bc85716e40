// The station's link to its depot, in the header: connected, offline since when with how much is
// waiting, or refused with the depot's reason; beside it, when the station's asset tags run low, how
// many are left (or how many handsets wait for one) and that the depot must be connected. Nothing
// shows for a station outside a depot.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { StationApi } from '../../../shared/api.ts';
import type { DepotSyncState, DepotTagsLow } from '../../../shared/depot.ts';
import { formatClockTime, formatNumber } from '../format.ts';
import { StateBadge, type Tone } from './StateBadge.tsx';

export function DepotState({ station }: { readonly station: StationApi }) {
  const { t } = useTranslation();
  const [state, setState] = useState<DepotSyncState | null>(null);
  // The latest state comes at once on subscribing; a station outside a depot publishes none.
  useEffect(() => station.subscribe('depot.state', setState), [station]);
  if (!state) return null;
  const [tone, label]: [Tone, string] =
    state.kind === 'idle'
      ? ['normal', t('depot.idle')]
      : state.kind === 'connected'
        ? state.backlog > 0
          ? ['active', t('depot.connectedBacklog', { backlog: formatNumber(state.backlog) })]
          : ['done', t('depot.connected')]
        : state.kind === 'offline'
          ? ['attention', t('depot.offline', { since: formatClockTime(state.since), backlog: formatNumber(state.backlog) })]
          : ['alarm', t('depot.refused', { reason: state.problem ? t(`depot.problems.${state.problem.code}`, state.problem) : state.reason })];
  return (
    <p className="depot-state" data-testid="depot-state" data-state={state.kind} title={state.kind === 'offline' ? state.reason : undefined}>
      <StateBadge tone={tone} label={label} />
      {state.tagsLow ? <TagsLow tags={state.tagsLow} /> : null}
    </p>
  );
}

/** Handsets waiting for a tag are an alarm (their labels cannot print); a few tags left, a warning. */
function TagsLow({ tags }: { readonly tags: DepotTagsLow }) {
  const { t } = useTranslation();
  const waiting = tags.pending > 0;
  return (
    <span data-testid="depot-tags-low">
      <StateBadge
        tone={waiting ? 'alarm' : 'attention'}
        label={waiting ? t('depot.tagsPending', { count: tags.pending }) : t('depot.tagsLeft', { count: tags.left })}
      />
    </span>
  );
}
