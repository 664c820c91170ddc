// A preview loads base and head with one cache: a state file they share is parsed, and its own
// rules and scripts found, once; head must still report every problem of that file.
import { describe, expect, it } from 'vitest';
import { createLoadCache, loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';

const inventory = (machines: string[]) =>
  JSON.stringify({
    instances: {
      borgbackup: {
        module: { name: 'borgbackup' },
        roles: {
          client: {
            machines: Object.fromEntries(
              machines.map((m) => [m, { settings: { destinations: { local: { repo: `/srv/borg/${m}` } } } }]),
            ),
          },
        },
      },
    },
  });

// an unsafe state name, a folder of two states, a script: problems of this file alone
const jon = [
  'state:',
  '  -link:',
  '    folders: [/srv/a]',
  '  db:',
  '    folders: [/srv/./a, /srv/db]',
  '    preBackupScript: echo hi',
  '',
].join('\n');

describe('loading two commits with one cache', () => {
  it('reports a shared file’s own problems in both, and the rules that depend on the inventory afresh', () => {
    const cache = createLoadCache();
    const base = new Map([
      ['inventory.json', inventory(['jon'])],
      ['machines/jon/state.yaml', jon],
    ]);
    // head: the same state file, but jon is no longer a client (a warning that depends on the inventory)
    const head = new Map([
      ['inventory.json', inventory(['kim'])],
      ['machines/jon/state.yaml', jon],
      ['machines/kim/state.yaml', 'state:\n  app:\n    folders: [/srv/app]\n'],
    ]);
    const fresh = (files: Map<string, string>) => loadDeclarations(files).problems.map(formatProblem);
    const before = loadDeclarations(base, undefined, cache);
    const after = loadDeclarations(head, undefined, cache);
    expect(before.problems.map(formatProblem)).toEqual(fresh(base));
    expect(after.problems.map(formatProblem)).toEqual(fresh(head));
    const own = after.problems.map(formatProblem).join('\n');
    expect(own).toContain('state name "-link" is not safe');
    expect(own).toContain('folder /srv/./a is also a folder of state "-link"');
    expect(own).toContain('machine "jon" has states but is not a client');
    expect(before.problems.map(formatProblem).join('\n')).not.toContain('is not a client');
    expect(after.scripts?.flatMap((source) => source.scripts)).toEqual(
      before.scripts?.flatMap((source) => source.scripts),
    );
  });

  it('shares what the same inventory gives, and still checks what depends on the other files', () => {
    const shared = JSON.stringify({
      instances: {
        borgbackup: {
          module: { name: 'borgbackup' },
          roles: {
            server: { machines: { srv: {} } },
            client: {
              settings: { startAt: '*-*-* 01:00:00', stagger: '1h' },
              machines: {
                jon: {},
                kim: { settings: { destinations: { '-bad': { repo: '/srv/borg/kim' } } } },
              },
            },
          },
        },
      },
    });
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEC2VXMLrydD jon';
    const base = new Map([
      ['inventory.json', shared],
      ['machines/jon/state.yaml', 'state:\n  app:\n    folders: [/srv/app]\n'],
      ['machines/jon/borgbackup.ssh.pub', `${key}\n`],
      ['machines/kim/state.yaml', 'state:\n  db:\n    folders: [/srv/db]\n'],
    ]);
    // head: jon's key is gone (srv cannot authorize it) and kim's state file too (a client without states)
    const head = new Map([
      ['inventory.json', shared],
      ['machines/jon/state.yaml', 'state:\n  app:\n    folders: [/srv/app, /srv/more]\n'],
    ]);
    const cache = createLoadCache();
    const before = loadDeclarations(base, 'a'.repeat(40), cache);
    const after = loadDeclarations(head, 'b'.repeat(40), cache);
    for (const [files, commit, loaded] of [
      [base, 'a'.repeat(40), before],
      [head, 'b'.repeat(40), after],
    ] as const) {
      const fresh = loadDeclarations(files, commit);
      expect(loaded.problems.map(formatProblem)).toEqual(fresh.problems.map(formatProblem));
      expect(loaded.declarations).toEqual(fresh.declarations);
    }
    const problems = (result: typeof after) => result.problems.map(formatProblem).join('\n');
    expect(problems(after)).toContain('server "srv" cannot authorize machine "jon"');
    expect(problems(before)).not.toContain('cannot authorize machine "jon"');
    expect(problems(after)).toContain('machine "kim" has the client role but no machines/kim/state.json');
    expect(problems(before)).not.toContain('has the client role but no');
    // the inventory's own problem (an unsafe destination name) is in both
    expect(problems(after)).toContain('destination name "-bad" is not safe');
    expect(problems(before)).toContain('destination name "-bad" is not safe');
    // the inventory was resolved and normalized once: both commits hold the same client objects
    expect(after.declarations).toBeUndefined();
    const valid = new Map([...head].concat([['machines/kim/state.yaml', 'state: {}\n']]));
    const fixed = JSON.parse(shared);
    delete fixed.instances.borgbackup.roles.client.machines.kim.settings;
    const good = (files: Map<string, string>) =>
      new Map([...files, ['inventory.json', JSON.stringify(fixed)]]);
    const one = loadDeclarations(good(base), undefined, cache).declarations;
    const two = loadDeclarations(good(valid), undefined, cache).declarations;
    expect(one?.clients.length).toBe(2);
    expect(two?.clients).toBe(one?.clients);
    expect(two?.states).not.toEqual(one?.states);
  });
});
