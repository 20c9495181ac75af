import { parseCredentialUserRegistrationCount, parseUsersRegisteredByFeature } from '../core/parseRegistrationCounts';
import type { RegistrationCountSource, Signal } from '../ports';
import { ApiError, type ApiClient } from './apiClient';

const legacyPath = 'beta/reports/getCredentialUserRegistrationCount';
const replacementPath = "v1.0/reports/authenticationMethods/usersRegisteredByFeature(includedUserTypes='all',includedUserRoles='all')";
/** Answers meaning "this report is not available to you": fall back rather than fail. */
const refusals = new Set([400, 403, 404, 410]);

/** Credential registration counts (Reports.Read.All): the legacy beta report, else its v1.0 replacement. */
export class GraphRegistrationCountSource implements RegistrationCountSource {
  constructor(private readonly graph: ApiClient) {}

  async registrationCounts(options: Signal = {}) {
    let fallbackReason: string;
    try {
      const report = await this.graph.getJson(legacyPath, { abortSignal: options.abortSignal });
      const counts = parseCredentialUserRegistrationCount(report, 'getCredentialUserRegistrationCount');
      if (counts !== null) return { counts, fallbackReason: null };
      fallbackReason = 'legacy report returned no rows';
    } catch (thrown) {
      if (!(thrown instanceof ApiError) || thrown.status === null || !refusals.has(thrown.status)) throw thrown;
      fallbackReason = `legacy report answered ${thrown.status}`;
    }
    const report = await this.graph.getJson(replacementPath, { abortSignal: options.abortSignal });
    return { counts: parseUsersRegisteredByFeature(report, 'usersRegisteredByFeature'), fallbackReason };
  }
}
