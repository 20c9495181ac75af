import { retryStrategy } from '../../src/adapters/apiClient';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/*
 * Microsoft Graph throttling guidance (learn.microsoft.com/graph/throttling): a 429 carries
 * Retry-After. The customer-admin scan reschedules the tenant instead of waiting, so with
 * `throttlingIsAnswer` a 429 is never retried; other faults still are.
 */
function answer(status: number, retryAfter?: string): PipelineResponse {
  const headers = createHttpHeaders(retryAfter === undefined ? {} : { 'retry-after': retryAfter });
  return { status, headers, request: createPipelineRequest({ url: 'https://graph.example/v1.0/x' }) };
}

describe('retryStrategy', () => {
  it('when a 429 comes and throttling is the answer, then it is not retried, with or without Retry-After', () => {
    const strategy = retryStrategy({ maxRetryAfterMs: 60_000, throttlingIsAnswer: true });
    expect(strategy.retry({ retryCount: 0, response: answer(429, '5') })).toEqual({ skipStrategy: true });
    expect(strategy.retry({ retryCount: 0, response: answer(429) })).toEqual({ skipStrategy: true });
    expect(strategy.retry({ retryCount: 0, response: answer(503, '1') })).toEqual({ retryAfterInMs: 1000 });
  });

  it('when a 429 comes otherwise, then its Retry-After is waited for, as before', () => {
    expect(retryStrategy({ maxRetryAfterMs: 60_000 }).retry({ retryCount: 0, response: answer(429, '5') })).toEqual({ retryAfterInMs: 5000 });
  });
});
