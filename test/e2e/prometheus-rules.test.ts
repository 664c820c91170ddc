import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const rules = new URL('../../examples/agent/prometheus-rules.yaml', import.meta.url).pathname;

/** Runs `promtool test rules` on a unit-test file for the example rules (`tests` is everything after `rule_files`). */
async function promtoolTest(tests: string): Promise<void> {
  const file = join(await tempDir(), 'rules-test.yaml');
  await writeFile(file, `rule_files: [${JSON.stringify(rules)}]\n${tests}`);
  const tested = await execa('promtool', ['test', 'rules', file], { reject: false });
  expect(`${tested.stdout}\n${tested.stderr}`).toContain('SUCCESS');
  expect(tested.exitCode).toBe(0);
}

/** The example alert rules, checked and unit-tested by Prometheus's own promtool (`.ci/run` installs it). */
describe('examples/agent/prometheus-rules.yaml with promtool', () => {
  it('is a valid rules file', async () => {
    const checked = await execa('promtool', ['check', 'rules', rules], { reject: false });
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(checked.exitCode).toBe(0);
  });

  it('fires the server-side alerts for exactly the quiet client and the append-only repository that shrank', async () => {
    const client = (name: string) => `machine="nas",instance="main",client="${name}"`;
    await promtoolTest(
      `evaluation_interval: 1m
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
  });

  it('fires the plan-warnings alert for exactly the machine whose plan warned, after an hour', async () => {
    await promtoolTest(
      `evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'borgops_reconcile_warnings{machine="jon"}'
        values: '2x90'
      - series: 'borgops_reconcile_warnings{machine="sara"}'
        values: '0x90'
    alert_rule_test:
      - eval_time: 30m
        alertname: BorgopsPlanWarnings
        exp_alerts: []
      - eval_time: 80m
        alertname: BorgopsPlanWarnings
        exp_alerts:
          - exp_labels: { severity: warning, machine: jon }
            exp_annotations:
              summary: "jon: the last reconcile's plan warned (2)"
              description: "\`borgops status\` on the machine (or GET /status, lastAttempt.warnings) lists the warnings and the command that fixes each."
`,
    );
  });

  it('fires the check, drill and overdue alerts for exactly the failing destination', async () => {
    const at = (destination: string) => `machine="jon",destination="${destination}"`;
    await promtoolTest(
      `evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'borgops_check_failed{${at('local')}}'
        values: '0x5 1x5'
      - series: 'borgops_check_failed{${at('offsite')}}'
        values: '0x10'
      - series: 'borgops_drill_failed{${at('offsite')}}'
        values: '1x10'
      - series: 'borgops_drill_failed{${at('local')}}'
        values: '0x10'
      - series: 'borgops_verification_overdue{${at('local')},kind="drill"}'
        values: '1x90'
      - series: 'borgops_verification_overdue{${at('offsite')},kind="check"}'
        values: '0x90'
    alert_rule_test:
      - eval_time: 3m
        alertname: BorgCheckFailed
        exp_alerts: []
      - eval_time: 8m
        alertname: BorgCheckFailed
        exp_alerts:
          - exp_labels: { severity: critical, machine: jon, destination: local }
            exp_annotations:
              summary: "jon: borg check of local failed"
              description: "GET /status (destinations[].check.error) or \`borgops check\` on the machine says what borg found."
      - eval_time: 2m
        alertname: BorgDrillFailed
        exp_alerts:
          - exp_labels: { severity: critical, machine: jon, destination: offsite }
            exp_annotations:
              summary: "jon: the restore drill of offsite failed"
              description: "GET /status (destinations[].drill.failure and .error) says why; \`borgops drill\` reruns it."
      - eval_time: 30m
        alertname: BorgVerificationOverdue
        exp_alerts: []
      - eval_time: 80m
        alertname: BorgVerificationOverdue
        exp_alerts:
          - exp_labels: { severity: warning, machine: jon, destination: local, kind: drill }
            exp_annotations:
              summary: "jon: no successful drill of local within twice its interval"
`,
    );
  });
});
