import type { CustomerMfaInsight, ScoreHistoryEntry, SecurityRequirement } from '../core/model';
import { parseCustomerInsight, parsePartnerSecurityScore, parseScoreHistoryEntry, parseSecurityRequirement } from '../core/parsePartnerSecurity';
import type { PartnerSecuritySource, Signal } from '../ports';
import type { ApiClient } from './apiClient';
import { graphPages } from './graphPages';

const root = 'beta/security/partner/securityScore';

/** Microsoft Graph beta partner security score (PartnerSecurity.Read.All). */
export class GraphPartnerSecuritySource implements PartnerSecuritySource {
  constructor(private readonly graph: ApiClient) {}

  async score(options: Signal = {}) {
    const response = await this.graph.getJson(root, { abortSignal: options.abortSignal });
    return parsePartnerSecurityScore(response.body, 'securityScore');
  }

  async requirements(options: Signal = {}): Promise<SecurityRequirement[]> {
    const requirements: SecurityRequirement[] = [];
    for await (const page of graphPages(this.graph, `${root}/requirements`, 'requirements', options)) {
      page.items.forEach((item, index) => requirements.push(parseSecurityRequirement(item, `${page.path}: value[${index}]`)));
    }
    return requirements;
  }

  async scoreHistory(options: Signal = {}): Promise<ScoreHistoryEntry[]> {
    const entries: ScoreHistoryEntry[] = [];
    for await (const page of graphPages(this.graph, `${root}/history`, 'history', options)) {
      page.items.forEach((item, index) => entries.push(parseScoreHistoryEntry(item, `${page.path}: value[${index}]`)));
    }
    return entries;
  }

  async *customerInsights(options: Signal = {}): AsyncGenerator<CustomerMfaInsight[]> {
    for await (const page of graphPages(this.graph, `${root}/customerInsights`, 'customerInsights', options)) {
      yield page.items.map((item, index) => parseCustomerInsight(item, `${page.path}: value[${index}]`));
    }
  }
}
