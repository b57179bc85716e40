import { useCallback, useEffect, useState } from 'react';
import type { StationApi } from '../../shared/api.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { ScanResult, StationInfo } from '../../shared/types.ts';
import { StationHeader } from './StationHeader.tsx';
import { HandsetList } from './HandsetList.tsx';

export function App({ station }: { readonly station: StationApi }) {
  const [info, setInfo] = useState<StationInfo | null>(null);
  const [scan, setScan] = useState<ScanResult | null>(null);
  const [scanning, setScanning] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    station['station.info'](undefined).then(setInfo, (cause: unknown) => setError(describeFailure(cause)));
  }, [station]);

  const rescan = useCallback(async () => {
    setScanning(true);
    setError(null);
    try {
      setScan(await station['devices.scan'](undefined));
    } catch (cause) {
      setError(describeFailure(cause));
    } finally {
      setScanning(false);
    }
  }, [station]);

  return (
    <div className="app">
      <StationHeader info={info} />
      <main>
        <section aria-labelledby="handsets-heading">
          <div className="section-head">
            <h2 id="handsets-heading">Handsets</h2>
            <button type="button" onClick={rescan} disabled={scanning}>
              {scanning ? 'Scanning…' : 'Scan for handsets'}
            </button>
          </div>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <HandsetList scan={scan} />
        </section>
      </main>
    </div>
  );
}
