// create + retention + compact for 5 destinations: borgops vs borgmatic (Debian), same data and rules.
//
// borgmatic 1.7 runs its actions in a fixed order, prune before create, so `keep_secondly: 3`
// leaves 3 + the new archive = 4 after each round. borgops prunes after its create, so it keeps
// `last: 4` to end each round with the same 4 archives; both delete exactly one archive per
// destination per round in the steady state (checked below from each side's archive list).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { benchWorld, borg, borgops, cleanup, dataTree, median, sideBySide, tempDir } from '../lib.mjs';

export const name = 'create + retention + compact, 5 destinations';
export const target = 'ratio ≤ 0.6 vs borgmatic';

export async function run({ runs }) {
  const dir = await tempDir('borgmatic');
  try {
    await execa('borgmatic', ['--version']);
    const destinations = ['d0', 'd1', 'd2', 'd3', 'd4'];
    const world = await benchWorld(dir, {
      destinations,
      extra: { prune: { keep: { last: 4 } } },
      stateYaml: 'state:\n  s0:\n    folders: [/srv/s0]\n',
    });
    const { root } = world;
    const tree = join(root, 'srv/s0');
    await dataTree(tree, 20);
    const common = ['--machine', 'jon', '--root', root];
    await execa('mkdir', ['-p', join(dir, 'theirs')]);
    const applied = await borgops(['apply', ...world.common]);
    if (applied.exitCode !== 0) throw new Error(`apply: ${applied.stderr}`);

    const passphrase = 'bench-passphrase';
    const theirs = destinations.map((d) => join(dir, 'theirs', d));
    const baseDir = join(dir, 'borgmatic-home');
    for (const repo of theirs)
      await borg(['init', '--encryption', 'repokey', repo], {
        BORG_PASSPHRASE: passphrase,
        BORG_BASE_DIR: baseDir,
      });
    const borgmaticConfig = join(dir, 'borgmatic.yaml');
    await writeFile(
      borgmaticConfig,
      [
        'location:',
        `  source_directories: [${tree}]`,
        '  repositories:',
        ...theirs.map((repo) => `    - ${repo}`),
        'storage:',
        `  encryption_passphrase: "${passphrase}"`,
        '  compression: auto,zstd',
        `  borg_base_directory: ${baseDir}`,
        "  archive_name_format: 'jon-bm-{now:%Y-%m-%dT%H:%M:%S}'",
        'retention:',
        '  keep_secondly: 3',
        "  prefix: 'jon-bm-'",
        '',
      ].join('\n'),
    );
    let change = 0;
    const touch = async () => writeFile(join(tree, 'changing.txt'), `round ${change++}\n`);
    // per measured destination run: did retention ask borg (borg list) before it deleted?
    const retention = { listed: 0, onRecord: 0, runs: 0 };
    const samples = await sideBySide({
      runs,
      warmup: 4,
      before: touch,
      ours: async (index) => {
        const result = await borgops(['backups', 'create', 'jon', ...common, '--json']);
        if (result.exitCode !== 0) throw new Error(`backups create: ${result.stderr}`);
        if (index >= 4) {
          for (const destination of JSON.parse(result.stdout).destinations) {
            retention.runs += 1;
            if (destination.retentionListed) retention.listed += 1;
            else if (destination.pruned.length > 0) retention.onRecord += 1;
          }
        }
        // the two tools name archives by the second; never two in one second
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return result.ms;
      },
      baseline: async () => {
        const started = performance.now();
        await execa('borgmatic', ['-c', borgmaticConfig, 'create', 'prune', 'compact'], {
          env: { HOME: dir },
        });
        const ms = performance.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return ms;
      },
    });
    const ours = median(samples.ours);
    const base = median(samples.baseline);
    const passphraseOurs = (
      await readFile(join(root, 'var/lib/borgops/secrets/d0.passphrase'), 'utf8')
    ).trim();
    const count = async (repo, env) =>
      (await execa('borg', ['list', '--short', repo], { env })).stdout.split('\n').filter(Boolean).length;
    const kept = await count(join(dir, 'repos', 'd0'), {
      BORG_PASSPHRASE: passphraseOurs,
      BORG_BASE_DIR: join(root, 'var/lib/borgops/borg'),
    });
    const keptTheirs = await count(theirs[0], { BORG_PASSPHRASE: passphrase, BORG_BASE_DIR: baseDir });
    const rounds = 4 + runs;
    if (kept !== keptTheirs)
      throw new Error(`not like for like: borgops kept ${kept}, borgmatic ${keptTheirs}`);
    return {
      rows: [
        {
          case: 'borgops backups create (5 destinations) vs borgmatic create prune compact',
          ms: ours,
          baselineMs: base,
          ratio: ours / base,
          met: ours / base <= 0.6,
          note: `per destination after ${rounds} rounds: kept ${kept} and ${keptTheirs}, deleted ${rounds - kept} and ${rounds - keptTheirs} (borgops, borgmatic); of ${retention.runs} measured destination runs borgops listed before deleting in ${retention.listed}, deleted on its verified record in ${retention.onRecord}`,
        },
      ],
    };
  } finally {
    await cleanup(dir);
  }
}
