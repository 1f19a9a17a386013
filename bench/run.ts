import { benchQueries, benchScraper } from './metrics.ts';
import { benchOfflineAgent } from './offline-agent.ts';
import { benchSlackAck } from './slack-ack.ts';

/** `npm run bench`: every benchmark, printing numbers to quote. */
await benchOfflineAgent();
await benchSlackAck();
await benchScraper();
await benchQueries();
