// What the AT link itself reports: the port timed out, went away, flooded, or could not be opened,
// or the station cut it because another port claims the same handset. These are facts about the
// link, named here so the AT layer depends on nothing above it; the handset layer
// (handset/errors.ts) turns them into the handset's fault with the same code.
import { CodedError } from '../../shared/coded-error.ts';

export type AtErrorCode = 'AT_TIMEOUT' | 'AT_DISCONNECTED' | 'AT_LINE_TOO_LONG' | 'AT_PORT_UNAVAILABLE' | 'AT_PORT_CONFLICT';

export class AtError extends CodedError<AtErrorCode> {
  constructor(code: AtErrorCode, message: string) {
    super(code, message);
    this.name = 'AtError';
  }
}
