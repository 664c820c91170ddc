import { describe, expect, it } from 'vitest';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';

const inventory = JSON.stringify({
  instances: {
    b: {
      module: { name: 'borgbackup' },
      roles: { client: { machines: { jon: { settings: { destinations: { d: { repo: '/srv/x' } } } } } } },
    },
  },
});

describe('a file with thousands of problems', () => {
  it('reports the first 200 of each file and how many more, still refusing it', () => {
    const states = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`s${String(i).padStart(4, '0')}`, { folders: [`rel/${i}`] }]),
    );
    const result = loadDeclarations(
      new Map([
        ['inventory.json', inventory],
        ['machines/jon/state.json', JSON.stringify({ state: states }, null, 2)],
      ]),
    );
    expect(result.declarations).toBeUndefined();
    const lines = result.problems.map(formatProblem);
    expect(lines).toHaveLength(201);
    expect(lines[0]).toMatch(/^machines\/jon\/state\.json:5: state\.s0000\.folders\.0: /);
    expect(lines[199]).toMatch(/^machines\/jon\/state\.json:\d+: state\.s0199\.folders\.0: /);
    expect(lines[200]).toMatch(
      /^machines\/jon\/state\.json:\d+: and 2800 more problems in this file \(2800 errors, 0 warnings\), not shown$/,
    );
  });
});
