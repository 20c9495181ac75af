import type { Exchange } from './exchange';
import { simulatedCompanies, type PsaSimulatorOptions } from './psaCompanies';
import type { SimulatedCompany, SimulatedPsa, SimulatedTicket } from './types';

/** Placeholder: answers 501 until the simulated ConnectWise is built from its vendor's API reference. */
export class SimulatedConnectWise implements SimulatedPsa {
  private readonly listed: SimulatedCompany[];

  constructor(private readonly options: PsaSimulatorOptions) {
    this.listed = simulatedCompanies(options.seed, options.customers, 1000);
  }

  handle(ex: Exchange): Promise<void> {
    ex.send(501, { message: 'not simulated yet' });
    return Promise.resolve();
  }

  tickets(): SimulatedTicket[] {
    return [];
  }

  companies(): SimulatedCompany[] {
    return this.listed.map((company) => ({ ...company }));
  }

  settings(): Record<string, string> {
    return {};
  }
}
