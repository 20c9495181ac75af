import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import { EmailClient } from '@azure/communication-email';
import { createCommunicationAuthPolicy, parseConnectionString } from '@azure/communication-common';
import { createEmptyPipeline, createHttpHeaders, createPipelineRequest, createDefaultHttpClient, isRestError, RestError, type Pipeline } from '@azure/core-rest-pipeline';
import type { EmailConfig } from '../config';
import { MonitorError, toError } from '../core/errors';
import { isOneOf } from '../core/text';
import type { EmailOperationStatus, EmailSender } from '../ports';
import { jsonErrorCode, jsonObject } from './apiClient';
import { attemptTimeoutOptions, attemptTimeoutPolicy, defaultAzureRequestTimeoutMs } from './attemptTimeout';

/** The api-version @azure/communication-email 1.1 speaks; status look-ups use the same. */
const apiVersion = '2025-09-01';
const knownStatuses: readonly EmailOperationStatus[] = ['Running', 'Succeeded', 'Failed', 'Canceled'];

/**
 * Azure Communication Services Email through the official EmailClient, plus the one call it
 * does not expose: looking an operation id up, so a retried send first asks whether ACS
 * already has it. Each send carries the caller's operation id and a fresh pair of OASIS
 * repeatability headers: the SDK's own retries of that POST resend the same pair, so ACS does
 * not execute them twice. Across runs, the look-up does that job (the pair expires in 5 minutes).
 */
export class AcsEmailSender implements EmailSender {
  private readonly client: EmailClient;
  private readonly endpoint: string;
  private readonly statusPipeline: Pipeline;
  private readonly httpClient = createDefaultHttpClient();

  constructor(
    private readonly config: EmailConfig,
    credential: () => TokenCredential,
    requestTimeoutMs: number = defaultAzureRequestTimeoutMs,
  ) {
    const parsed = config.connectionString === null ? null : parseConnectionString(config.connectionString);
    this.endpoint = (parsed?.endpoint ?? config.endpoint ?? '').replace(/\/+$/, '');
    const auth = parsed?.credential ?? credential();
    this.client = new EmailClient(this.endpoint, auth, attemptTimeoutOptions(requestTimeoutMs));
    this.statusPipeline = createEmptyPipeline();
    this.statusPipeline.addPolicy(attemptTimeoutPolicy(requestTimeoutMs));
    this.statusPipeline.addPolicy(createCommunicationAuthPolicy(auth));
  }

  async send(email: { subject: string; plainText: string; html: string }, operationId: string, to: readonly string[] = this.config.to): Promise<EmailOperationStatus> {
    const abortSignal = AbortSignal.timeout(this.config.timeoutMs);
    try {
      const poller = await this.client.beginSend(
        {
          senderAddress: this.config.from,
          recipients: { to: to.map((address) => ({ address })) },
          content: { subject: email.subject, plainText: email.plainText, html: email.html },
        },
        {
          operationId,
          updateIntervalInMs: 250,
          abortSignal,
          requestOptions: { customHeaders: { 'Repeatability-Request-Id': randomUUID(), 'Repeatability-First-Sent': new Date().toUTCString() } },
        },
      );
      const result = await poller.pollUntilDone({ abortSignal });
      return isOneOf(knownStatuses, result.status) ? result.status : 'Running';
    } catch (error) {
      if (toError(error).name === 'AbortError' || abortSignal.aborted) {
        throw new MonitorError('EmailTimeout', `ACS did not confirm the email within ${this.config.timeoutMs / 1000} s`, { cause: error });
      }
      const facts = isRestError(error) ? [error.statusCode && `status ${error.statusCode}`, error.code].filter(Boolean) : [];
      throw new MonitorError('EmailSendFailed', `ACS refused or failed the email${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`, { cause: error });
    }
  }

  async status(operationId: string): Promise<EmailOperationStatus> {
    const request = createPipelineRequest({
      url: `${this.endpoint}/emails/operations/${encodeURIComponent(operationId)}?api-version=${apiVersion}`,
      method: 'GET',
      headers: createHttpHeaders({ Accept: 'application/json' }),
    });
    const response = await this.statusPipeline.sendRequest(this.httpClient, request);
    if (response.status === 404) return 'NotFound';
    if (response.status !== 200) {
      const message = `ACS answered ${response.status} to an operation status look-up`;
      // The answer as the SDK would report it (status and ACS's own error code), for callers that tell a refused key from an outage.
      throw new MonitorError('EmailStatusUnavailable', message, { cause: new RestError(message, { statusCode: response.status, response, code: jsonErrorCode(response.bodyAsText) }) });
    }
    const { status } = jsonObject(response.bodyAsText);
    return isOneOf(knownStatuses, status) ? status : 'Running';
  }
}
