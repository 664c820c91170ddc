// The hand check of state files (state-shape.ts) stands in for zod only where zod would accept the
// file and return an equal copy: a file it lets through that zod refuses would be acted on
// unchecked. Differential: random near-valid files, both answers compared.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATE_FORMS } from '../../../src/config/clan-state.js';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';
import { fitsStateForm } from '../../../src/config/state-shape.js';

// values near the edge of what the schema accepts
const folder = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/srv/app', '/srv/app/', '/', '/var/lib/db') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '/srv/../etc',
      '/srv/..',
      '/srv/a..b',
      'srv/app',
      '',
      '/srv/\x1b[31m',
      '/srv/\u202eapp',
    ),
  },
  fc.string().map((s) => `/${s}`),
  fc.string(),
  fc.integer(),
  fc.constant(null),
);
const scalar = fc.oneof(
  fc.string(),
  fc.constant('echo hi\n'),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
);
const fieldName = fc.constantFrom(
  'folders',
  'preBackupScript',
  'postBackupScript',
  'preRestoreScript',
  'postRestoreScript',
  'verifyScript',
  'name',
  'preBackupCommand',
  'postRestoreCommand',
  'folder',
  'prebackupScript',
  '__proto__',
  'constructor',
);
const randomEntry = fc.dictionary(
  fieldName,
  fc.oneof(
    scalar,
    fc.array(folder, { maxLength: 4 }),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  ),
  { maxKeys: 5 },
);
// the shape of a real state, with a folder or a script now and then out of line
const script = fc.oneof({ weight: 8, arbitrary: fc.string() }, scalar);
const likelyEntry = fc.record(
  {
    folders: fc.array(folder, { maxLength: 3 }),
    preBackupScript: script,
    postRestoreScript: script,
    verifyScript: script,
    name: fc.constantFrom('app', 'db'),
    preBackupCommand: fc.constantFrom('pre-backup-app', 'x'),
  },
  { requiredKeys: [] },
);
const entry = fc.oneof({ weight: 3, arbitrary: likelyEntry }, { weight: 1, arbitrary: randomEntry });
const stateMap = fc.dictionary(
  fc.oneof(fc.constantFrom('app', 'db', '-x', '$schema', '__proto__', 'toString'), fc.string()),
  fc.oneof({ weight: 8, arbitrary: entry }, { weight: 1, arbitrary: scalar }),
  { maxKeys: 4 },
);
const withSchema = (value: object) =>
  fc.oneof(
    fc.constant(value),
    fc.constant({ $schema: './schema.json', ...value }),
    fc.constant({ $schema: 3, ...value }),
    fc.constant({ ...value, other: {} }),
  );
const file = fc.oneof(
  stateMap.chain((state) => withSchema({ state })),
  stateMap,
  stateMap.chain((state) => withSchema({ clan: { core: { state } } })),
  stateMap.map((state) => ({ clan: { core: { state, extra: 1 } } })),
);

/** The value as a parser gives it: through JSON, so `__proto__` is an own key, as JSON.parse makes it. */
const parsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('fitsStateForm', () => {
  it('lets through only what zod accepts, and then zod’s output equals the input', () => {
    let fitted = 0;
    let accepted = 0;
    fc.assert(
      fc.property(
        file,
        fc.constantFrom('state', 'bare', 'clan') as fc.Arbitrary<'state' | 'bare' | 'clan'>,
        (raw, form) => {
          const value = parsed(raw);
          const checked = STATE_FORMS[form].schema.safeParse(value);
          const fits = fitsStateForm(form, value);
          if (checked.success) accepted++;
          if (!fits) return;
          fitted++;
          expect(checked.success).toBe(true);
          expect(isDeepStrictEqual(checked.data, value)).toBe(true);
        },
      ),
      { numRuns: 4000 },
    );
    // the generator reaches both sides (a test that never fits would prove nothing)
    expect(fitted).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(fitted / 2);
  });

  it('fits every file zod accepts that has no own `__proto__` key', () => {
    fc.assert(
      fc.property(file, (raw) => {
        const value = parsed(raw);
        if (JSON.stringify(value).includes('"__proto__"')) return;
        for (const form of ['state', 'bare', 'clan'] as const) {
          if (STATE_FORMS[form].schema.safeParse(value).success)
            expect(fitsStateForm(form, value)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what zod refuses, with zod’s problems, in a loaded file', () => {
    const inventory = JSON.stringify({
      instances: {
        borgbackup: {
          roles: {
            client: { machines: { jon: { settings: { destinations: { d: { repo: '/srv/borg' } } } } } },
          },
        },
      },
    });
    const load = (state: string) =>
      loadDeclarations(
        new Map([
          ['inventory.json', inventory],
          ['machines/jon/state.yaml', state],
        ]),
      );
    const problems = (state: string) => load(state).problems.map(formatProblem).join('\n');
    expect(problems('state:\n  app:\n    folders: [srv/app]\n')).toContain('must be an absolute path');
    expect(problems('state:\n  app:\n    folders: [/srv/../etc]\n')).toContain(
      'must not contain ".." segments',
    );
    expect(problems('state:\n  app:\n    folders: ["/srv/\\e[31m"]\n')).toContain('control characters');
    expect(problems('state:\n  app:\n    folder: [/srv/app]\n')).toMatch(/folder/);
    expect(problems('state:\n  app:\n    preBackupScript: 3\n')).toMatch(/preBackupScript/);
    expect(load('state:\n  app:\n    folders: [/srv/app]\n    name: db\n').declarations).toBeUndefined();
    // a fitting file is used as parsed: its states are the file's
    const good = load('state:\n  app:\n    folders: [/srv/app]\n    preBackupScript: echo hi\n');
    expect(good.declarations?.states.jon?.states).toEqual({
      app: { folders: ['/srv/app'], preBackupScript: 'echo hi' },
    });
    // clan's derived fields are checked and dropped on the way
    const clan = load(
      'state:\n  app:\n    name: app\n    preBackupScript: echo hi\n    preBackupCommand: pre-backup-app\n',
    );
    expect(clan.declarations?.states.jon?.states).toEqual({ app: { preBackupScript: 'echo hi' } });
  });
});
