import { createEmptyPipeline, createPipelineRequest, type HttpClient, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { attemptTimeoutPolicy, tokenObtainedPolicy } from '../../src/adapters/attemptTimeout';

/* What a timed-out attempt says it waited for: only what the pipeline can know. */

/** A service that never answers. */
const silentService: HttpClient = { sendRequest: () => new Promise(() => undefined) };

/** A token step that never gets its token. */
const hungTokenStep: PipelinePolicy = { name: 'hungTokenStep', sendRequest: () => new Promise(() => undefined) };

async function timedOut(policies: PipelinePolicy[]): Promise<string> {
  const pipeline = createEmptyPipeline();
  for (const policy of policies) pipeline.addPolicy(policy);
  const error = await pipeline.sendRequest(silentService, createPipelineRequest({ url: 'https://storage.example/table' })).then(
    () => new Error('answered'),
    (thrown: Error) => thrown,
  );
  return error.message;
}

describe('attemptTimeoutPolicy', () => {
  it('when the pipeline does not mark its token step (a shared key signs locally), then a timeout names no token', async () => {
    expect(await timedOut([attemptTimeoutPolicy(30)])).toBe('attempt timed out after 30 ms');
  });

  it('when the pipeline marks its token step and the token never comes, then the timeout says it waited for a token', async () => {
    expect(await timedOut([attemptTimeoutPolicy(30, true), hungTokenStep, tokenObtainedPolicy()])).toBe('attempt timed out after 30 ms while waiting for a token');
  });

  it('when the pipeline marks its token step and the token came, then the timeout says it waited for the answer', async () => {
    expect(await timedOut([attemptTimeoutPolicy(30, true), tokenObtainedPolicy()])).toBe('attempt timed out after 30 ms while waiting for the answer');
  });
});
