import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compile, compileInputs } from '../../../src/desired/compile.js';
import { declarationsOf } from '../../helpers/declarations.js';

/** A well-formed ed25519 public key line of its own per name: validation refuses two machines sharing one. */
const pub = (name: string) => {
  const type = Buffer.from('ssh-ed25519');
  const key = createHash('sha256').update(name).digest();
  const blob = Buffer.concat([u32(type.length), type, u32(key.length), key]);
  return `ssh-ed25519 ${blob.toString('base64')} ${name}@example\n`;
};

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function fleet(change: string): Record<string, unknown> {
  const client: Record<string, unknown> = {
    settings: { prune: { keep: { daily: change === 'keep' ? 3 : 7 } } },
    machines: {
      jon: {
        settings: { destinations: { box: { repo: change === 'repo' ? '/srv/other' : '/srv/borg/jon' } } },
      },
      sara: { settings: change === 'sara' ? { compression: 'lz4' } : {} },
      ...(change === 'new-client' ? { tom: {} } : {}),
    },
  };
  const files: Record<string, unknown> = {
    'inventory.json': {
      instances: {
        borgbackup: {
          module: { name: 'borgbackup', input: 'clan-core' },
          roles: {
            client,
            server: { machines: { vault: { settings: { appendOnly: change === 'server' } } } },
          },
        },
      },
    },
    'machines/jon/state.yaml': `state:\n  app:\n    folders: [/srv/app]\n    preBackupScript: echo ${change === 'script' ? 'new' : 'old'}\n`,
    'machines/sara/state.yaml': 'state:\n  db:\n    folders: [/srv/db]\n',
    'machines/jon/borgbackup.ssh.pub': pub('jon'),
  };
  if (change !== 'no-key')
    files['machines/sara/borgbackup.ssh.pub'] = pub(change === 'key' ? 'sara2' : 'sara');
  if (change === 'new-client') files['machines/tom/state.yaml'] = 'state:\n  x:\n    folders: [/x]\n';
  return files;
}

const changes = ['none', 'keep', 'repo', 'sara', 'new-client', 'server', 'script', 'key', 'no-key'];

describe('compileInputs', () => {
  it('differs whenever compile would give another machine (so a preview may skip equal ones)', () => {
    const variants = changes.map((change) => declarationsOf(fleet(change)));
    for (const machine of ['jon', 'sara', 'vault']) {
      for (const a of variants) {
        for (const b of variants) {
          if (!isDeepStrictEqual(compileInputs(a, machine), compileInputs(b, machine))) continue;
          const { commit: _a, ...left } = compile(a, machine);
          const { commit: _b, ...right } = compile(b, machine);
          expect(right).toEqual(left);
        }
      }
    }
  });

  it('is equal for a machine the change does not touch', () => {
    const base = declarationsOf(fleet('none'));
    expect(compileInputs(base, 'sara')).toEqual(compileInputs(declarationsOf(fleet('script')), 'sara'));
    // a client's new key changes what its server authorizes
    expect(compileInputs(base, 'vault')).not.toEqual(compileInputs(declarationsOf(fleet('key')), 'vault'));
  });
});
