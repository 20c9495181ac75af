/**
 * The simulated Microsoft cloud: Entra ID (client credentials, refresh tokens, managed
 * identity), Microsoft Graph partner security, reports and GDAP customers, Partner Center
 * non-MFA principals and customers, and ACS Email, on one loopback HTTPS server.
 */
export { startSimulator } from './startSimulator';
export { appSettingsFor } from './appSettings';
export type {
  ExpectedState, ExpectedRequirement, ExpectedCustomerInsight, ExpectedNonMfaPrincipal, ExpectedRegistrationCounts,
  ExpectedScoreHistoryEntry, ExpectedSecurityScore, Fault, FaultStatus, DriftMode, RequestLogEntry, SentEmail,
  PartnerCenterNextLink, SimulatedService, Simulator, SimulatorOptions,
} from './types';
