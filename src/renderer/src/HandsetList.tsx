import type { ScanResult } from '../../shared/types.ts';
import { displaySafe } from '../../shared/untrusted.ts';

export function HandsetList({ scan }: { readonly scan: ScanResult | null }) {
  if (!scan) return <p className="hint">No scan yet. Plug handsets into the hub in fastboot mode, then scan.</p>;
  return (
    <div data-testid="scan-result">
      <ul className="transports" aria-label="Transports">
        {scan.transports.map((status) => (
          <li key={status.transport} className={status.available ? 'ok' : 'unavailable'}>
            <strong>{status.transport.toUpperCase()}</strong> {status.detail}
          </li>
        ))}
      </ul>
      {scan.handsets.length === 0 ? (
        <p className="hint">No handsets were found ({new Date(scan.scannedAt).toLocaleTimeString()}).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Slot</th>
              <th scope="col">Mode</th>
              <th scope="col">Serial</th>
              <th scope="col">VID:PID</th>
            </tr>
          </thead>
          <tbody>
            {scan.handsets.map((handset) => (
              <tr key={`${handset.mode}:${handset.slot}`}>
                <td>{displaySafe(handset.slot)}</td>
                <td>{handset.mode === 'at' ? 'booted (AT)' : 'fastboot'}</td>
                <td>{handset.serialNumber === null ? '—' : displaySafe(handset.serialNumber)}</td>
                <td>{formatIds(handset.vendorId, handset.productId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function formatIds(vendorId: number | null, productId: number | null): string {
  if (vendorId === null || productId === null) return '—';
  return `${vendorId.toString(16).padStart(4, '0')}:${productId.toString(16).padStart(4, '0')}`;
}
