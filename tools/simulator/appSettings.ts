import type { Simulator } from './types';

/** The app settings that point the monitor at a simulator: one mapping for the local host, `npm run sim`, tests and the benchmark. */
export function appSettingsFor(sim: Simulator): Record<string, string> {
  return {
    GRAPH_BASE_URL: sim.graphBaseUrl,
    PARTNER_CENTER_BASE_URL: sim.partnerCenterBaseUrl,
    AZURE_AUTHORITY_HOST: sim.authorityHost,
    AZURE_TENANT_ID: sim.tenantId,
    AZURE_CLIENT_ID: sim.clientId,
    AZURE_CLIENT_SECRET: sim.clientSecret,
    ACS_CONNECTION_STRING: sim.acsConnectionString,
  };
}

/** The settings that send alerts to the simulator's Teams, Slack and signed-webhook receivers too. */
export function channelSettingsFor(sim: Simulator): Record<string, string> {
  return {
    TEAMS_WEBHOOK_URL: sim.channelUrls.teams,
    SLACK_WEBHOOK_URL: sim.channelUrls.slack,
    ALERT_WEBHOOK_URL: sim.channelUrls.webhook,
    ALERT_WEBHOOK_SECRET: sim.channelUrls.webhookSecret,
  };
}

/** The settings that keep tickets in each simulated PSA (ConnectWise PSA, Autotask, HaloPSA). */
export function psaSettingsFor(sim: Simulator): Record<string, string> {
  return { ...sim.psa('connectwise').settings(), ...sim.psa('autotask').settings(), ...sim.psa('halopsa').settings() };
}
