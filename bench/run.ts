import { benchOfflineAgent } from './offline-agent.ts';

/** `npm run bench`: every benchmark, printing numbers to quote. */
await benchOfflineAgent();
