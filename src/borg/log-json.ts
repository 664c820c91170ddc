import { z } from 'zod';

/*
 * borg --log-json writes one JSON object per stderr line (docs: internals/frontends). Permissive
 * schemas: borg may add fields; we read only what we use. Lines that are not JSON (ssh noise,
 * Python warnings, `print()`s of some commands) are kept as text.
 */

export const LogMessage = z.looseObject({
  type: z.literal('log_message'),
  levelname: z.string(),
  message: z.string(),
  name: z.string().optional(),
  msgid: z.string().nullish(),
});
export type LogMessage = z.infer<typeof LogMessage>;

export const ArchiveProgress = z.looseObject({
  type: z.literal('archive_progress'),
  finished: z.boolean().optional(),
  original_size: z.number().optional(),
  compressed_size: z.number().optional(),
  deduplicated_size: z.number().optional(),
  nfiles: z.number().optional(),
  path: z.string().optional(),
});
export type ArchiveProgress = z.infer<typeof ArchiveProgress>;

const Question = z.looseObject({ type: z.literal('question_prompt'), message: z.string() });
const Typed = z.looseObject({ type: z.string() });

export type StderrLine =
  | { kind: 'log'; message: LogMessage }
  | { kind: 'progress'; progress: ArchiveProgress }
  | { kind: 'other' }
  | { kind: 'text'; text: string };

export function parseStderrLine(line: string): StderrLine {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return { kind: 'text', text: line };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: 'text', text: line };
  }
  const log = LogMessage.safeParse(value);
  if (log.success) return { kind: 'log', message: log.data };
  const progress = ArchiveProgress.safeParse(value);
  if (progress.success) return { kind: 'progress', progress: progress.data };
  // A prompt borg answered from its environment (we never let one wait): keep its first line.
  const question = Question.safeParse(value);
  if (question.success) return { kind: 'text', text: question.data.message.split('\n')[0] ?? '' };
  // progress_message, progress_percent, file_status, question_env_answer, …
  if (Typed.safeParse(value).success) return { kind: 'other' };
  return { kind: 'text', text: line };
}
