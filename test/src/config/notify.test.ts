import { describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';

/** Line numbers below refer to this YAML inventory; `ROLE` and `MACHINE` are replaced per case. */
function inventory(role: string, machine: string): string {
  return `instances:
  borgbackup:
    module: { name: borgbackup }
    roles:
      client:
        settings:
          notify:
${role}
        machines:
          jon:
            settings:
              destinations:
                storagebox: { repo: /srv/borg/storagebox }
                usb: { repo: /mnt/usb/borg }
              notify:
${machine}
`;
}

const state = 'state:\n  app:\n    folders: [/srv/app]\n';

function load(role: string, machine: string) {
  return loadDeclarations(
    new Map([
      ['inventory.yaml', inventory(role, machine)],
      ['machines/jon/state.yaml', state],
    ]),
  );
}

const SECRET_URL = 'https://hc-ping.com/9a3c61f0-secret-uuid';

describe('settings.notify', () => {
  it('merges role-wide and machine receivers key by key, with the defaults', () => {
    const { declarations, problems } = load(
      `            hc:\n              healthchecks: { url: "${SECRET_URL}" }\n              on: [start, success, warn, fail]`,
      '                hc: { destinations: [usb], timeout: 30s }\n                phone:\n                  ntfy: { url: "https://ntfy.sh/t", tokenCommand: "cat /run/t" }',
    );
    expect(problems.map(formatProblem)).toEqual([]);
    expect(declarations?.clients[0]?.receivers).toEqual([
      {
        name: 'hc',
        kind: 'healthchecks',
        url: SECRET_URL,
        failOnWarning: false,
        on: ['start', 'success', 'warn', 'fail'],
        destinations: ['usb'],
        timeoutSeconds: 30,
      },
      {
        name: 'phone',
        kind: 'ntfy',
        url: 'https://ntfy.sh/t',
        tokenCommand: 'cat /run/t',
        failOnWarning: false,
        on: ['fail'],
        timeoutSeconds: 10,
      },
    ]);
  });

  const cases: { name: string; role: string; machine: string; expected: string[] }[] = [
    {
      name: 'two kinds in one receiver (the machine adds one to the role)',
      role: '            ops:\n              webhook: { url: "https://hooks.example/a" }',
      machine: '                ops:\n                  ntfy: { url: "https://ntfy.sh/t" }',
      expected: [
        'inventory.yaml:17: instances.borgbackup.roles.client.machines.jon.settings.notify.ops: receiver "ops" has webhook and ntfy: a receiver has exactly one kind (declare another receiver for the other)',
      ],
    },
    {
      name: 'no kind, url and urlCommand both, an unknown destination, a zero timeout',
      role: '            hc:\n              healthchecks: { url: "https://hc.example/x" }',
      machine:
        '                hc:\n                  healthchecks: { urlCommand: "cat /run/hc" }\n                  destinations: [nas]\n                nothing: { on: [fail] }\n                slow:\n                  webhook: { urlCommand: "cat /run/u" }\n                  timeout: "0"',
      expected: [
        'inventory.yaml:18: instances.borgbackup.roles.client.machines.jon.settings.notify.hc.healthchecks: receiver "hc" has both url and urlCommand (the machine settings may add one to the role settings): keep one',
        'inventory.yaml:19: instances.borgbackup.roles.client.machines.jon.settings.notify.hc.destinations.0: receiver "hc" destination "nas" is not a destination of jon (its destinations: storagebox, usb)',
        'inventory.yaml:20: instances.borgbackup.roles.client.machines.jon.settings.notify.nothing: receiver "nothing" needs one receiver kind: healthchecks, webhook or ntfy',
        'inventory.yaml:23: instances.borgbackup.roles.client.machines.jon.settings.notify.slow.timeout: receiver "slow" timeout must be between 1s and 5m (a receiver never holds a backup longer)',
      ],
    },
    {
      name: 'schema errors: a URL that is not http(s) (never echoed), an unknown event, a typo',
      role: '            hc:\n              healthchecks: { url: "ftp://secret-host/9a3c61f0" }\n              on: [failure]',
      machine: '                hook:\n                  webhook: { url: "https://h.example", secret: "x" }',
      expected: [
        'inventory.yaml:9: instances.borgbackup.roles.client.settings.notify.hc.healthchecks.url: must be an http:// or https:// URL (the value is not shown: receiver URLs are secrets)',
        'inventory.yaml:10: instances.borgbackup.roles.client.settings.notify.hc.on.0: must be one of "start", "success", "warn", "fail", "stalled", "verification"; got "failure"',
        'inventory.yaml:19: instances.borgbackup.roles.client.machines.jon.settings.notify.hook.webhook.secret: unknown key "secret" (accepted: url, urlCommand, secretCommand)',
      ],
    },
    {
      name: 'a receiver name that is not a name',
      role: '            ok:\n              ntfy: { url: "https://ntfy.sh/t" }',
      machine: '                "bad name":\n                  ntfy: { url: "https://ntfy.sh/t" }',
      expected: [
        'inventory.yaml:17: instances.borgbackup.roles.client.machines.jon.settings.notify."bad name": receiver name "bad name" is not safe in file, unit and archive names: use letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters',
      ],
    },
  ];
  it.each(cases)('$name', ({ role, machine, expected }) => {
    const { declarations, problems } = load(role, machine);
    expect(declarations).toBeUndefined();
    const messages = problems.map(formatProblem);
    expect(messages).toEqual(expected);
    expect(messages.join('\n')).not.toContain('9a3c61f0');
  });
});
