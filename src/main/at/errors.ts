// What the AT link itself reports: the port timed out, went away, flooded, or could not be opened,
// or the station cut it because another port claims the same handset. These are facts about the
// link, named here so the AT layer depends on nothing above it; the handset layer
// (handset/errors.ts) turns them into the handset's fault with the same code.
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';

export type AtErrorCode = 'AT_TIMEOUT' | 'AT_DISCONNECTED' | 'AT_LINE_TOO_LONG' | 'AT_PORT_UNAVAILABLE' | 'AT_PORT_CONFLICT';

export class AtError extends CodedError<AtErrorCode> {
  /** `words`: the finding as a key and the values it quotes, for the UI's words (CodedError). */
  constructor(code: AtErrorCode, message: string, words: Pick<CodedErrorOptions, 'detail' | 'params'> = {}) {
    super(code, message, words);
    this.name = 'AtError';
  }
}
