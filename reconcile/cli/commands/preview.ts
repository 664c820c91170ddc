import type { Command } from 'commander';
import { BorgopsError } from '../../../src/errors.js';
import { previewExitCode } from '../../preview/model.js';
import { DEFAULT_PREVIEW_SCHEDULER, scheduleRenderers } from '../../preview/renderers.js';
import { runPreview } from '../../preview/run.js';
import { renderPreviewMarkdown } from '../../render/preview-markdown.js';
import { renderPreviewText } from '../../render/preview-text.js';
import { type Io, printJson } from '../io.js';
import { globalOptions } from '../options.js';

const FORMATS = ['text', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface PreviewFlags {
  base: string;
  head: string;
  format?: string;
  observed?: string;
  now?: string;
  scheduler?: string;
}

function formatOf(flags: PreviewFlags, json: boolean): Format {
  const format = flags.format ?? (json ? 'json' : 'text');
  if (!(FORMATS as readonly string[]).includes(format))
    throw new BorgopsError('E_USAGE', `--format ${format}: use one of ${FORMATS.join(', ')}`);
  return format as Format;
}

function nowOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const now = new Date(value);
  if (Number.isNaN(now.getTime()))
    throw new BorgopsError(
      'E_USAGE',
      `--now ${value}: expected an ISO 8601 time such as 2026-03-10T12:00:00Z`,
    );
  return now;
}

export function registerPreview(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('preview')
    .description(
      'what merging --head into --base does to every machine, for a pull-request comment (exit 0 no change, 2 changes, 1 invalid head, 3 a guard would refuse)',
    )
    .requiredOption('--base <ref>', 'the commit the change is merged into (the target branch)')
    .option('--head <ref>', 'the commit of the change', 'HEAD')
    .option('--format <format>', `output: ${FORMATS.join(', ')} (default text; json with --json)`)
    .option(
      '--observed <path>',
      'status snapshots or archive lists exported by machines (a directory of *.json, or one file): names the archives a retention change prunes',
    )
    .option(
      '--now <time>',
      "evaluate retention at this ISO 8601 time (default: each snapshot's observedAt, else its newest archive)",
    )
    .option(
      '--scheduler <backend>',
      `show every machine's schedule files as this backend writes them, over its declared \`scheduler\` setting (with a warning); default: each machine's declared backend, ${DEFAULT_PREVIEW_SCHEDULER} for auto or undeclared`,
    )
    .action(async (flags: PreviewFlags, command: Command) => {
      const options = globalOptions(command);
      const format = formatOf(flags, options.json);
      const renderers = scheduleRenderers();
      const scheduler = flags.scheduler ?? DEFAULT_PREVIEW_SCHEDULER;
      const renderSchedule = renderers[scheduler];
      if (renderSchedule === undefined) {
        throw new BorgopsError(
          'E_USAGE',
          `--scheduler ${scheduler}: use one of ${Object.keys(renderers).sort().join(', ')}`,
        );
      }
      const now = nowOf(flags.now);
      const report = await runPreview({
        source: options.source,
        base: flags.base,
        head: flags.head,
        ...(flags.observed === undefined ? {} : { observed: flags.observed }),
        ...(now ? { now } : {}),
        scheduler,
        renderSchedule,
        renderers,
        ...(flags.scheduler === undefined ? {} : { explicit: true }),
        onOverride: (machine, declared) =>
          io.err(
            `warning: --scheduler ${scheduler} overrides the declared scheduler "${declared}" of ${machine} for this preview\n`,
          ),
      });
      if (format === 'json') printJson(io, report);
      else if (format === 'markdown') io.out(renderPreviewMarkdown(report));
      else io.out(renderPreviewText(report, { color: io.interactive }));
      setExit(previewExitCode(report));
    });
}
