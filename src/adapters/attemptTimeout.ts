import { RestError, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';

/** Per attempt of a Table Storage, ACS or Key Vault call, unless AZURE_REQUEST_TIMEOUT_SECONDS says otherwise. */
export const defaultAzureRequestTimeoutMs = 20_000;

/**
 * Client options that time every attempt of an Azure SDK client (Tables, ACS, Key Vault): the
 * SDKs have no per-attempt timeout of their own, and their retry loops retry our ETIMEDOUT.
 */
export function attemptTimeoutOptions(timeoutMs: number): { additionalPolicies: { policy: PipelinePolicy; position: 'perRetry' }[] } {
  return { additionalPolicies: [{ policy: attemptTimeoutPolicy(timeoutMs), position: 'perRetry' }] };
}

/** The code a timed-out attempt fails with: the SDKs' retry strategies retry it like a dropped connection. */
export const attemptTimedOut = 'ETIMEDOUT';

/** Requests whose bearer token was obtained in the current attempt (set by `tokenObtainedPolicy`). */
const tokenObtained = new WeakSet<PipelineRequest>();

/** Placed after a bearer-token policy: marks that the attempt is now waiting for the service, not for a token. */
export function tokenObtainedPolicy(): PipelinePolicy {
  return {
    name: 'tokenObtainedPolicy',
    sendRequest(request, next) {
      tokenObtained.add(request);
      return next(request);
    },
  };
}

/**
 * Times each attempt of a request, everything after this policy included (a token acquisition
 * when it sits before the bearer-token policy). The SDK's own `timeout` surfaces as an
 * AbortError, which no retry loop retries; this reports a retriable ETIMEDOUT instead. The
 * attempt is abandoned when the time is up even if what it waits for ignores the abort (a
 * credential's token request may), so the wait is bounded whatever lies below. A cancellation
 * from the caller still ends everything at once. Only a pipeline that marks its token step
 * (`tokenObtainedPolicy` after its bearer-token policy) can tell a token from the answer; others
 * (a shared key signs locally, an SDK's own credential policy is not marked) say neither.
 */
export function attemptTimeoutPolicy(timeoutMs: number, tokenStepMarked = false): PipelinePolicy {
  return {
    name: 'attemptTimeoutPolicy',
    async sendRequest(request, next) {
      const callerSignal = request.abortSignal;
      const controller = new AbortController();
      tokenObtained.delete(request);
      const waitingFor = (): string => (tokenStepMarked ? ` while waiting for ${tokenObtained.has(request) ? 'the answer' : 'a token'}` : '');
      let timer: NodeJS.Timeout | undefined;
      let onCallerAbort = (): void => undefined;
      const cutOff = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new RestError(`attempt timed out after ${timeoutMs} ms${waitingFor()}`, { code: attemptTimedOut, request }));
        }, timeoutMs);
        onCallerAbort = (): void => {
          controller.abort();
          reject(Object.assign(new Error(`cancelled${waitingFor()}`), { name: 'AbortError' }));
        };
      });
      if (callerSignal?.aborted) onCallerAbort();
      callerSignal?.addEventListener('abort', onCallerAbort);
      request.abortSignal = controller.signal;
      const attempt = callerSignal?.aborted ? cutOff : next(request);
      // Once abandoned, neither the attempt's own late failure nor the unused cut-off is of interest.
      attempt.catch(() => undefined);
      cutOff.catch(() => undefined);
      try {
        return await Promise.race([attempt, cutOff]);
      } finally {
        clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
        request.abortSignal = callerSignal;
      }
    },
  };
}
