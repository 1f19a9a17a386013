import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TerminalIncidentChannel } from '../src/chat/local/terminal-incident-channel.ts';
import { alertmanagerPayload } from '../src/incidents/alertmanager-payload.ts';
import { IncidentRepository } from '../src/incidents/incident-repository.ts';
import { IncidentService } from '../src/incidents/incident-service.ts';
import { ChangeEventRepository } from '../src/store/change-event-repository.ts';
import { silentLogger, testAssistant } from './support/test-assistant.ts';

const firing = alertmanagerPayload.parse(
  JSON.parse(readFileSync(new URL('./fixtures/alertmanager/firing.json', import.meta.url), 'utf8')),
);

describe('incident threads in the terminal', () => {
  it('prints the alert, the investigation and the resolution; repeats stay quiet', async () => {
    const assistant = await testAssistant({ DEMO: 'on', DEMO_BACKFILL_DAYS: '1' }, { demoTraffic: false });
    try {
      const output = new PassThrough();
      let printed = '';
      output.on('data', (chunk) => {
        printed += chunk.toString();
      });
      const service = new IncidentService({
        incidents: new IncidentRepository(assistant.db),
        channel: new TerminalIncidentChannel(assistant.conversation, silentLogger, output),
        logger: silentLogger,
        changes: new ChangeEventRepository(assistant.db),
      });
      expect(await service.receive(firing)).toBe('opened');
      expect(await service.receive(firing)).toBe('repeated');
      expect(printed).toMatch(/\[incident:[0-9a-f]{12}\] 🚨 FIRING: \[page\] HighTTFT — p95 TTFT above 2 s/);
      expect(printed).toMatch(/> show metrics of mistral-7b since \d\d:\d\d\nmistral-7b now/);
      // The root-cause engine runs first; the alert itself is recorded as a change event it reads.
      expect(printed).toMatch(/> why is mistral-7b alerting since \d\d:\d\d\?\n(Most likely cause|Checked)/);
      const alerts = new ChangeEventRepository(assistant.db)
        .list(new Date(0), new Date(Date.now() + 86_400_000))
        .filter((e) => e.kind === 'alert');
      expect(alerts.map((e) => e.target)).toEqual(['mistral-7b']);
      expect(alerts[0]?.description).toMatch(/^HighTTFT: p95 TTFT above 2 s/);
      const resolved = {
        ...firing,
        status: 'resolved' as const,
        alerts: firing.alerts.map((a) => ({ ...a, status: 'resolved' as const })),
      };
      expect(await service.receive(resolved)).toBe('resolved');
      expect(printed).toContain('✅ RESOLVED: [page] HighTTFT');
      expect((printed.match(/FIRING/g) ?? []).length).toBe(1);
    } finally {
      await assistant.dispose();
    }
  });
});
