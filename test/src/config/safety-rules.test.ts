import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../../src/config/document.js';
import { loadDeclarations } from '../../../src/config/load.js';
import { formatProblem } from '../../../src/config/problem.js';
import { stateFileRules } from '../../../src/config/rules.js';

function parseOk(text: string) {
  const result = parseFile('machines/jon/state.yaml', text);
  if (!result.ok) throw new Error('does not parse');
  return result.parsed;
}

function inventory(jonSettings: Record<string, unknown>): string {
  const client = (settings: Record<string, unknown>) => ({
    settings: { destinations: { nas: { repo: '/srv/borg/nas' } }, ...settings },
  });
  return JSON.stringify(
    {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup' },
          roles: {
            client: { machines: { jon: client(jonSettings), sara: client({}) } },
            server: { machines: { nas: { settings: { address: '127.0.0.1' } } } },
          },
        },
      },
    },
    null,
    2,
  );
}

const state = 'state:\n  app:\n    folders: [/srv/app]\n';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFtLx1m3yx0DGqpG9YfQ0mRS0h1l2Gx0AFGDfMqP0bS3';
const OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKe0xK4nmW3mJ5m3b0Tz0R8mT3Wn4e9h0b2kq7oK5ZQm';

function problems(files: Record<string, string>): string[] {
  return loadDeclarations(new Map(Object.entries(files))).problems.map(formatProblem);
}

function files(
  jonSettings: Record<string, unknown>,
  jonKey: string,
  saraKey: string,
): Record<string, string> {
  return {
    'inventory.json': inventory(jonSettings),
    'machines/jon/state.yaml': state,
    'machines/sara/state.yaml': state,
    'machines/jon/borgbackup.ssh.pub': `${jonKey} root@jon\n`,
    'machines/sara/borgbackup.ssh.pub': `${saraKey} root@sara\n`,
  };
}

describe('safety rules at validate', () => {
  it('a folder declared by two states is named, however it is written', () => {
    for (const [first, second] of [
      ['/srv/app', '/srv/app'],
      ['/srv/app', '/srv/app/'],
      ['/srv/app//', '/srv/./app'],
    ]) {
      const twice = `state:\n  app:\n    folders: ["${first}"]\n  db:\n    folders: ["${second}"]\n`;
      const found = problems({ ...files({}, KEY, OTHER), 'machines/jon/state.yaml': twice });
      expect(found, `${first} and ${second}`).toContainEqual(
        expect.stringContaining(`folder ${second} is also a folder of state "app"`),
      );
    }
    const apart = 'state:\n  app:\n    folders: [/srv/app]\n  db:\n    folders: [/srv/app2, /]\n';
    expect(problems({ ...files({}, KEY, OTHER), 'machines/jon/state.yaml': apart }).join('\n')).not.toContain(
      'is also a folder',
    );
  });

  it('two machines with the same public key are refused, naming both machines and the file', () => {
    const found = problems(files({}, KEY, KEY));
    const duplicate = found.filter((p) => p.includes('same SSH public key'));
    expect(duplicate).toHaveLength(1);
    expect(duplicate[0]).toMatch(/^machines\/sara\/borgbackup\.ssh\.pub:/);
    expect(duplicate[0]).toContain('machines/jon/borgbackup.ssh.pub');
    expect(duplicate[0]).toContain('"jon"');
    expect(duplicate[0]).toContain('"sara"');
    expect(loadDeclarations(new Map(Object.entries(files({}, KEY, KEY)))).declarations).toBeUndefined();
  });

  it('the same key with another comment is still the same key; different keys pass', () => {
    const same = files({}, KEY, KEY);
    same['machines/sara/borgbackup.ssh.pub'] = `${KEY} another-comment\n`;
    expect(problems(same).filter((p) => p.includes('same SSH public key'))).toHaveLength(1);
    expect(problems(files({}, KEY, OTHER)).filter((p) => p.includes('same SSH public key'))).toEqual([]);
  });

  it('encryption.mode "none" is a warning that says what it risks', () => {
    const found = problems(files({ encryption: { mode: 'none' } }, KEY, OTHER));
    const warning = found.filter((p) => p.includes('encryption.mode "none"'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /^inventory\.json:\d+: instances\.borgbackup\.roles\.client\.machines\.jon: warning: /,
    );
    expect(warning[0]).toContain('forge archives');
    expect(warning[0]).toContain('jon');
    expect(problems(files({}, KEY, OTHER)).filter((p) => p.includes('encryption.mode "none"'))).toEqual([]);
  });
});

describe('the same folder written two ways', () => {
  // stateFileRules skips posix.normalize for folders already in normal form: the answer must be
  // the one the full normalization gives, for any two folders
  const normal = (folder: string) => posix.normalize(folder).replace(/(.)\/+$/, '$1');
  const segment = fc.constantFrom('srv', 'app', '.', '..', '', '.hidden', 'a.b', '...');
  const folder = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
  it('is found exactly when both normalize to one path', () => {
    fc.assert(
      fc.property(folder, folder, (a, b) => {
        if (a.split('/').includes('..') || b.split('/').includes('..')) return;
        const state = `state:\n  app:\n    folders: [${JSON.stringify(a)}]\n  db:\n    folders: [${JSON.stringify(b)}]\n`;
        const problems = stateFileRules('jon', parseOk(state), ['state'], {
          app: { folders: [a] },
          db: { folders: [b] },
        });
        expect(problems.some((p) => p.message.includes('is also a folder'))).toBe(normal(a) === normal(b));
      }),
      { numRuns: 3000 },
    );
  });
});
