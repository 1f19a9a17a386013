import type { Scraper } from '../metrics/embedded/scraper.ts';
import type { DemoFleet, FleetMember } from './demo-fleet.ts';

/** Makes the embedded scraper follow a member's replicas: its old targets go, one per replica serving now comes. */
export function scrapeMember(scraper: Pick<Scraper, 'addTarget' | 'removeTargets'>, fleet: DemoFleet, member: FleetMember): void {
  const { base, targets } = fleet.scrapeTargets(member);
  scraper.removeTargets(base);
  for (const target of targets) scraper.addTarget(target.name, target.deployment, target.url);
}
