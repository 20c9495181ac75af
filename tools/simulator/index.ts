/**
 * The simulated Microsoft cloud: Entra ID (client credentials, refresh tokens, managed
 * identity), Microsoft Graph partner security, reports and GDAP customers, Partner Center
 * non-MFA principals and customers, ACS Email, and the Teams, Slack and signed-webhook
 * receivers alerts go to, on one loopback HTTPS server.
 */
export { startSimulator } from './startSimulator';
export { appSettingsFor, channelSettingsFor, psaSettingsFor } from './appSettings';
export { tenantProfiles, type TenantProfile } from './customerTenants';
export type {
  ExpectedState, ExpectedRequirement, ExpectedCustomerInsight, ExpectedNonMfaPrincipal, ExpectedRegistrationCounts,
  ExpectedScoreHistoryEntry, ExpectedSecurityScore, AlertChannel, ReceivedPost, Fault, FaultStatus, DriftMode, RequestLogEntry, SentEmail,
  PartnerCenterNextLink, PsaService, SimulatedCompany, SimulatedService, SimulatedTicket, Simulator, SimulatorOptions,
} from './types';
