import { startSimulator } from '../../tools/simulator';
import { readGraphCollection, tokenFor } from './simulatorClient';

describe('scale', () => {
  it('when there are 10,000 customers, then every customerInsight is served in well under 10 s', async () => {
    const sim = await startSimulator({ customers: 10_000 });
    try {
      const token = await tokenFor(sim, sim.graphBaseUrl);
      const started = Date.now();
      const { items, pages } = await readGraphCollection(`${sim.graphBaseUrl}/beta/security/partner/securityScore/customerInsights`, token);
      const elapsed = Date.now() - started;
      expect(items).toHaveLength(10_000);
      expect(pages).toBe(100);
      expect(new Set((items as { tenantId: string }[]).map((item) => item.tenantId)).size).toBe(10_000);
      expect(elapsed).toBeLessThan(10_000);
      const requirementsStarted = Date.now();
      await readGraphCollection(`${sim.graphBaseUrl}/beta/security/partner/securityScore/history`, token);
      expect(Date.now() - requirementsStarted).toBeLessThan(5_000);
    } finally {
      await sim.close();
    }
  });

  it('when there are 50,000 customers, then the simulator starts at once (nothing is generated up front)', async () => {
    const started = Date.now();
    const sim = await startSimulator({ customers: 50_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    await sim.close();
  });
});
