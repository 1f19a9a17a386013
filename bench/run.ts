import { benchQueries, benchScraper } from './metrics.ts';
import { benchOfflineAgent } from './offline-agent.ts';

/** `npm run bench`: every benchmark, printing numbers to quote. */
await benchOfflineAgent();
await benchScraper();
await benchQueries();
