import { benchHealth } from './health.ts';
import { benchLoadTester } from './load-tester.ts';
import { benchLoghub, benchLogParseThroughput } from './loghub.ts';
import { benchLoghubLeaveOneOut } from './loghub-loso.ts';
import { benchQueries, benchScraper } from './metrics.ts';
import { benchNab, benchScoreThroughput } from './nab.ts';
import { benchOfflineAgent } from './offline-agent.ts';
import { benchPlanner } from './planner.ts';
import { benchRcaScenarios } from './rca.ts';
import { benchSlackAck } from './slack-ack.ts';
import { withDataSet } from './support/data-sets.ts';
import { benchTuning } from './tuning.ts';

/** `npm run bench`: every benchmark, printing numbers to quote. Throughput first: its peak memory is the process's. */
await benchScoreThroughput();
await benchOfflineAgent();
await benchPlanner();
await benchSlackAck();
await benchHealth();
await benchScraper();
await benchQueries();
await benchNab();
await benchLogParseThroughput();
await withDataSet(benchLoghub);
await withDataSet(benchLoghubLeaveOneOut);
await benchRcaScenarios();
await benchLoadTester();
await benchTuning();
