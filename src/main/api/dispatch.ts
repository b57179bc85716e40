import { apiRequestSchemas, type ApiResponses, type ApiResult, type StationApi } from '../../shared/api.ts';
import { isApiChannel, type ApiChannel } from '../../shared/channels.ts';
import { CodedError } from '../../shared/coded-error.ts';
import { describeFailure, failureCode } from '../../shared/describe-failure.ts';
import { firstIssue } from '../../shared/zod-issues.ts';

/**
 * The single trust boundary between a front end and the core: the channel must be one the API
 * declares and the payload must match its schema, whoever sent it (IPC, the test bridge, the CLI).
 * Failures come back as data so they survive structured cloning across IPC intact, with the
 * failure's own code (a bundle error's, a pipeline's) so the operator sees what the core said.
 */
export async function dispatch(station: StationApi, channel: unknown, payload: unknown): Promise<ApiResult<ApiChannel>> {
  if (!isApiChannel(channel)) {
    return { ok: false, error: { code: 'unknown-channel', failure: null, message: `Unknown station API call: ${describeFailure(String(channel).slice(0, 80))}` } };
  }
  const parsed = apiRequestSchemas[channel].safeParse(payload);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    return { ok: false, error: { code: 'bad-request', failure: null, message: `Invalid request to ${channel}${field === null ? '' : ` at ${field}`}: ${message}` } };
  }
  try {
    const handler = station[channel] as (request: unknown) => Promise<unknown>;
    return { ok: true, value: (await handler(parsed.data)) as ApiResponses[ApiChannel] };
  } catch (error) {
    // A coded error's finding and parameters let the front end word it and still name the folder or id it is about.
    const words = error instanceof CodedError ? { params: { ...error.params }, ...(error.detail === null ? {} : { detail: error.detail }) } : {};
    return { ok: false, error: { code: 'failed', failure: failureCode(error), message: describeFailure(error), ...words } };
  }
}
