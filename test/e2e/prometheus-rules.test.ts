import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const rules = new URL('../../examples/agent/prometheus-rules.yaml', import.meta.url).pathname;

/** The example alert rules, checked and unit-tested by Prometheus's own promtool (`.ci/run` installs it). */
describe('examples/agent/prometheus-rules.yaml with promtool', () => {
  it('is a valid rules file', async () => {
    const checked = await execa('promtool', ['check', 'rules', rules], { reject: false });
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(checked.exitCode).toBe(0);
  });

  it('fires the server-side alerts for exactly the quiet client and the append-only repository that shrank', async () => {
    const dir = await tempDir();
    const tests = join(dir, 'served-test.yaml');
    const client = (name: string) => `machine="nas",instance="main",client="${name}"`;
    await writeFile(
      tests,
      `rule_files: [${JSON.stringify(rules)}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'borgops_served_stale{${client('jon')}}'
        values: '0x5 1x30'
      - series: 'borgops_served_stale{${client('sara')}}'
        values: '0x40'
      - series: 'borgops_served_shrunk{${client('sara')}}'
        values: '0x5 1x5'
      - series: 'borgops_served_append_only{${client('sara')}}'
        values: '1x10'
      - series: 'borgops_served_shrunk{${client('jon')}}'
        values: '1x10'
      - series: 'borgops_served_append_only{${client('jon')}}'
        values: '0x10'
    alert_rule_test:
      - eval_time: 10m
        alertname: BorgServedClientStale
        exp_alerts: []
      - eval_time: 30m
        alertname: BorgServedClientStale
        exp_alerts:
          - exp_labels: { severity: warning, machine: nas, instance: main, client: jon }
            exp_annotations:
              summary: "nas: client jon (main) has not written its repository within maxAge"
              description: "The server saw the last committed write at borgops_served_last_write_timestamp_seconds; see GET /status on the server's agent."
      - eval_time: 7m
        alertname: BorgServedAppendOnlyShrank
        exp_alerts:
          - exp_labels: { severity: critical, machine: nas, instance: main, client: sara }
            exp_annotations:
              summary: "nas: the append-only repository of sara got smaller"
`,
    );
    const tested = await execa('promtool', ['test', 'rules', tests], { reject: false });
    expect(`${tested.stdout}\n${tested.stderr}`).toContain('SUCCESS');
    expect(tested.exitCode).toBe(0);
  });
});
