import { parseCustomerInsight, parsePartnerSecurityScore, parseScoreHistoryEntry, parseSecurityRequirement } from '../core/parsePartnerSecurity';
import type { PartnerSecuritySource, Signal } from '../ports';
import type { ApiClient } from './apiClient';
import { graphPages } from './graphPages';

const root = 'beta/security/partner/securityScore';

/** Microsoft Graph beta partner security score (PartnerSecurity.Read.All). */
export class GraphPartnerSecuritySource implements PartnerSecuritySource {
  constructor(private readonly graph: ApiClient) {}

  async score(options: Signal = {}) {
    return parsePartnerSecurityScore(await this.graph.getJson(root, { abortSignal: options.abortSignal }), 'securityScore');
  }

  requirements(options: Signal = {}) {
    return graphPages(this.graph, `${root}/requirements`, 'requirements', parseSecurityRequirement, options);
  }

  scoreHistory(options: Signal = {}) {
    return graphPages(this.graph, `${root}/history`, 'history', parseScoreHistoryEntry, options);
  }

  customerInsights(options: Signal = {}) {
    return graphPages(this.graph, `${root}/customerInsights`, 'customerInsights', parseCustomerInsight, options);
  }
}
