import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exists } from '../helpers/files.js';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { spawnAgent } from '../helpers/watch-agent.js';

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function world() {
  const base = await tempDir('borgops-listen-');
  await mkdir(join(base, 'repos'));
  const repo = await gitRepo(localConfig({ local: join(base, 'repos', 'local') }));
  const root = join(base, 'root');
  return {
    root,
    args: ['--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'],
  };
}

describe('borgops watch --listen that cannot bind (built CLI)', () => {
  it.each([
    ['a port another process holds', async () => `127.0.0.1:${await occupiedPort()}`, 'EADDRINUSE'],
    ['a bare port another process holds', async () => `${await occupiedPort()}`, 'EADDRINUSE'],
    // TEST-NET-3: an address no interface of this machine has
    ['an address this machine does not have', async () => '203.0.113.7:9797', 'EADDRNOTAVAIL'],
  ])('%s: exits 1 with one line naming the address, before applying anything', async (_, listen, code) => {
    const w = await world();
    const address = await listen();
    const agent = spawnAgent([...w.args, '--listen', address]);
    const result = await agent.process;
    expect(result.exitCode, agent.stderr()).toBe(1);
    const shown = /^\d+$/.test(address) ? `127.0.0.1:${address}` : address;
    const lines = agent
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('borgops'));
    expect(lines).toEqual([`borgops: cannot listen on ${shown}: ${code}`]);
    // nothing was converged: a watch without its health server must not run unobserved
    expect(await exists(join(w.root, 'var/lib/borgops/hooks'))).toBe(false);
  });
});
