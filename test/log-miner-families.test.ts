import { describe, expect, it } from 'vitest';
import { maskContent, TemplateMiner } from '../src/analysis/logs/index.ts';

/** The final template of every line, as `llmops logs parse` reports it (default parameters). */
function templatesOf(lines: readonly string[]): string[] {
  const miner = new TemplateMiner();
  const ids = lines.map((line) => miner.add(line).clusterId);
  return ids.map((id) => miner.template(id) ?? '');
}

/** Distinct templates in order of first appearance, with their line counts. */
function grouping(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const template of templatesOf(lines)) counts.set(template, (counts.get(template) ?? 0) + 1);
  return [...counts];
}

describe('log miner: variables that are not digits', () => {
  it('component and service names become <*> once a position takes several of them', () => {
    const lines = [
      'Starting service AuthService',
      'Starting service BillingService',
      'Stopping service AuthService',
      'Starting service CatalogService',
      'Starting service SearchService',
      'Stopping service SearchService',
      'Stopping service CatalogService',
    ];
    expect(grouping(lines)).toEqual([
      ['Starting service <*>', 4],
      ['Stopping service <*>', 3],
    ]);
  });

  it('a word that takes only two values stays a constant that separates events', () => {
    const lines = [
      ...Array.from({ length: 5 }, (_, i) => `10.0.0.${i}:443 open through proxy proxy.example.com:8080 HTTPS`),
      '10.0.0.9:22 open through proxy socks.example.com:1080 SOCKS5',
      'Block broadcast_1 stored as bytes in memory (estimated size 5.2 KB, free 317.1 KB)',
      'Block broadcast_2 stored as values in memory (estimated size 8.8 KB, free 14.0 KB)',
      'Block broadcast_3 stored as bytes in memory (estimated size 93.0 B, free 310.0 KB)',
    ];
    expect(grouping(lines)).toEqual([
      ['<*> open through proxy <*> HTTPS', 5],
      ['<*> open through proxy <*> SOCKS5', 1],
      ['Block <*> stored as bytes in memory (estimated size <*>, free <*>)', 2],
      ['Block <*> stored as values in memory (estimated size <*>, free <*>)', 1],
    ]);
  });

  it('Java class and host names (dotted names) are values', () => {
    const lines = [
      'Registering class org.apache.hadoop.mapreduce.jobhistory.EventType for class org.apache.hadoop.mapreduce.jobhistory.JobHistoryEventHandler',
      'Registering class org.apache.hadoop.mapreduce.v2.app.job.event.TaskEventType for class org.apache.hadoop.mapreduce.v2.app.MRAppMaster$TaskEventDispatcher',
      'Resolved www.example.com to 93.184.216.34',
      'Resolved api.internal.corp to 10.1.2.3',
    ];
    expect(grouping(lines)).toEqual([
      ['Registering class <*> for class <*>', 2],
      ['Resolved <*> to <*>', 2],
    ]);
  });

  it('dates written with day and month names are values, as one parameter', () => {
    const lines = [
      'connection from 211.42.188.206 () at Fri Jul 22 09:27:24 2005',
      'connection from 207.30.238.8 (host8.topspot.net) at Sun Jul 17 12:30:47 2005',
      'connection from 82.68.222.194 (dsl.in-addr.zen.co.uk) at Mon Aug  1 07:57:30 2005',
    ];
    expect(grouping(lines)).toEqual([['connection from <*> (<*>) at <*>', 3]]);
  });
});

describe('log miner: key=value and JSON-like payloads', () => {
  it('keeps keys and masks values, whatever the values look like', () => {
    const lines = [
      'request done method=GET path=/api/users status=200 dur=12ms user=alice',
      'request done method=POST path=/api/orders status=201 dur=3.5s user=bob',
      'request done method=GET path=/healthz status=200 dur=1ms user=',
      'acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, uid=10037',
      'acquire lock=91, flags=0x5, tag=WindowManager, name=android, uid=1000',
    ];
    expect(grouping(lines)).toEqual([
      ['request done method=<*> path=<*> status=<*> dur=<*> user=<*>', 2],
      // An empty value is not the same event as a set one (`user=` vs `user=<*>`).
      ['request done method=<*> path=<*> status=<*> dur=<*> user=', 1],
      ['acquire lock=<*>, flags=<*>, tag=<*>, name=<*>, uid=<*>', 2],
    ]);
  });

  it('attached key:value and comma-joined pairs keep their keys', () => {
    expect(maskContent('processHandleBroadcastAction action:android.intent.action.SCREEN_ON')).toBe(
      'processHandleBroadcastAction action:<*>',
    );
    expect(maskContent('ready=true,policy=3,wakefulness=1 (HWID=1692)')).toBe('ready=<*>,policy=<*>,wakefulness=<*> (HWID=<*>)');
  });

  it('JSON-like payloads: keys stay, values of any type (with spaces too) are parameters', () => {
    const lines = [
      'audit {"user": "alice", "action": "login", "ok": true, "ms": 12}',
      'audit {"user": "bob", "action": "logout", "ok": false, "ms": 3}',
      'audit {"user": "carol smith", "action": "login", "ok": true, "ms": 7}',
      'audit {"user": "dave", "action": "delete", "target": "report 7"}',
    ];
    expect(grouping(lines)).toEqual([
      ['audit {"user": <*>, "action": <*>, "ok": <*>, "ms": <*>}', 3],
      ['audit {"user": <*>, "action": <*>, "target": <*>}', 1],
    ]);
  });
});

describe('log miner: paths, URLs, bracketed fields and other values', () => {
  it('paths and URLs are values (Unix, Windows, relative with several segments, URLs with queries)', () => {
    const lines = [
      'Opened /var/log/app/server.log for writing',
      'Opened C:\\Windows\\Logs\\CBS\\CbsPersist.log for writing',
      'Opened data/cache/shard-a/index for writing',
      'Fetching https://example.com/a?b=1&c=two from cache',
      'Fetching http://10.0.0.1:8080/health from cache',
    ];
    expect(grouping(lines)).toEqual([
      ['Opened <*> for writing', 3],
      ['Fetching <*> from cache', 2],
    ]);
  });

  it('bracketed fields keep their brackets; an empty field and a filled one are one field', () => {
    const lines = [
      '[worker-1] job 17 finished in 12 ms',
      '[worker-12] job 18 finished in 1.5 s',
      '[main] job 19 finished in 900 ms',
      '[scheduler] job 20 finished in 2 min',
      '[reaper] job 21 finished in 30 sec',
      'session closed for user root [preauth]',
      'session closed for user daemon [preauth]',
      'session closed for user games [preauth]',
    ];
    expect(grouping(lines)).toEqual([
      ['[<*>] job <*> finished in <*>', 5],
      ['session closed for user <*> [preauth]', 3],
    ]);
  });

  it('a word where numbers and paths were seen is a value too', () => {
    const lines = [
      'worker pid 4312 exited with status 0',
      'worker pid 977 exited with status 1',
      'worker pid unknown exited with status 0',
      'LOGIN chdir(/home/u1/run) failed: No such file or directory',
      'LOGIN chdir(/scratch/u2) failed: No such file or directory',
      'LOGIN chdir(pwd) failed: No such file or directory',
    ];
    expect(grouping(lines)).toEqual([
      ['worker pid <*> exited with status <*>', 3],
      ['LOGIN <*> failed: No such file or directory', 3],
    ]);
  });

  it('a named thread beside numbered ones is the same field', () => {
    const lines = [
      '[pool-1-thread-1] INFO c.a.Worker - picked task 7',
      '[main] INFO c.a.Worker - picked task 8',
      '[pool-1-thread-2] INFO c.a.Worker - picked task 9',
      '[main] INFO c.a.Worker - picked task 10',
    ];
    expect(grouping(lines)).toEqual([['[<*>] INFO c.a.Worker - picked task <*>', 4]]);
  });

  it('hex, UUIDs, host:port, e-mails, sizes with units and durations are values', () => {
    expect(
      maskContent(
        'req 123e4567-e89b-12d3-a456-426614174000 from db-1.internal:5432 by ops@example.com ptr 0x7ffd5e8 sent 1190 bytes (1.16 KB) in 3.5 s hash deadbeefcafe',
      ),
    ).toBe('req <*> from <*> by <*> ptr <*> sent <*> in <*> hash <*>');
  });

  it('lists of any length share one template, but messages of values only are not lumped together', () => {
    const lines = [
      'BLOCK* ask 10.250.14.224:50010 to delete blk_1 blk_2',
      'BLOCK* ask 10.250.11.85:50010 to delete blk_3 blk_4 blk_5 blk_6',
      'BLOCK* ask 10.250.11.86:50010 to delete blk_7',
      '1514038530000 14 0 4',
      '1514038530001 15',
    ];
    expect(grouping(lines)).toEqual([
      ['BLOCK* ask <*> to delete <*>', 3],
      ['<*> <*> <*> <*>', 1],
      ['<*> <*>', 1],
    ]);
  });
});

describe('log miner: merging is careful', () => {
  it('does not merge a template down to mostly parameters', () => {
    const lines = [
      'maxTaskFailuresPerNode is 3',
      'OutputCommitter is org.apache.hadoop.FileOutputCommitter',
      'blacklistDisablePercent is 33',
    ];
    expect(new Set(templatesOf(lines)).size).toBe(3);
  });

  it('is deterministic: the same lines give the same templates and ids', () => {
    const lines = Array.from(
      { length: 200 },
      (_, i) => `user u${i % 7} did ${['read', 'write', 'list', 'stat'][i % 4]} on /data/${i}`,
    );
    expect(templatesOf(lines)).toEqual(templatesOf(lines));
    expect(new Set(templatesOf(lines))).toEqual(new Set(['user <*> did <*> on <*>']));
  });

  it('while streaming, a merged word position takes new values without new clusters', () => {
    const miner = new TemplateMiner();
    for (const user of ['alice', 'bob', 'carol']) miner.add(`login ok for ${user}`);
    expect(miner.templates().map((t) => t.template)).toEqual(['login ok for <*>']);
    const next = miner.add('login ok for dave');
    expect(next.isNew).toBe(false);
    expect(miner.size).toBe(1);
  });
});
