import type { StationInfo } from '../../shared/types.ts';

export function StationHeader({ info }: { readonly info: StationInfo | null }) {
  return (
    <header className="station-header">
      <h1>Lockstep</h1>
      {info ? (
        <p className="station-meta" data-testid="station-meta">
          v{info.version} · {info.mode === 'simulated' ? 'simulated fleet' : 'hardware'} · Node {info.runtime.node}
          {info.runtime.electron ? ` · Electron ${info.runtime.electron}` : ''}
        </p>
      ) : (
        <p className="station-meta">Connecting to the station…</p>
      )}
    </header>
  );
}
