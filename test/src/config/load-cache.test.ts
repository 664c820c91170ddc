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
    expect(after.scripts?.map((site) => site.script)).toEqual(before.scripts?.map((site) => site.script));
  });
});
