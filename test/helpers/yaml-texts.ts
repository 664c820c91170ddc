// Random YAML texts from a grammar of the state-file subset (src/config/yaml-subset.ts) and of
// its edges, for differential tests against the full parsers.
import fc from 'fast-check';

interface Random {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** True with probability p scaled by the text's edginess (0: every text is inside the subset). */
  edge(p: number): boolean;
  edgy: boolean;
}

function randomFrom(g: fc.GeneratorValue, edgy: boolean): Random {
  const chance = (p: number) => g(fc.integer, { min: 0, max: 999 }) < p * 1000;
  // a text has many tokens: most edgy texts have only a few edges, so both answers are common
  const scale = edgy ? g(fc.constantFrom, 0.01, 0.05, 0.3) : 0;
  return {
    int: (min, max) => (max <= min ? min : g(fc.integer, { min, max })),
    pick: (items) => items[g(fc.nat, { max: items.length - 1 })]!,
    chance,
    edge: (p) => edgy && chance(p * scale),
    edgy,
  };
}

const CLEAN_KEYS = [
  'state',
  'folders',
  'preBackupScript',
  'postRestoreScript',
  'app00',
  'a',
  'b',
  'x.y',
  'a-b',
  '_x',
  '$x',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'NaN',
  'Infinity',
  'nulls',
  'trueish',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  `k${'x'.repeat(990)}`,
] as const;

const EDGE_KEYS = [
  'true',
  'True',
  'FALSE',
  'null',
  'Null',
  '~',
  '1',
  '1e3',
  '0x1F',
  '.5',
  '-1',
  '+1',
  '.inf',
  '<<',
  'a b',
  '"q"',
  "'q'",
  'a#b',
  'a:b',
  '? a',
  '&a a',
  '*a',
  '!t a',
  '-a',
  '.a',
  '[a]',
  '{a}',
  'é',
  `k${'x'.repeat(1100)}`,
  '',
  '- a',
  'a ',
] as const;

const CLEAN_PLAIN = [
  '/var/backup/app00',
  '/srv/app00/data',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'NaN',
  'nan',
  'Infinity',
  'nulls',
  'a#b',
  'a:b',
  'http://x:80/y',
  'a - b',
  'rsync -a --delete /x/ /y/',
  'b{c}[d],e',
  "it's",
  'say "hi"',
  '$HOME/x',
  '_x',
  'a :b',
  'a -',
  'a\\b',
  'x!&*|>%@`',
  'a  b',
  'Z',
] as const;

const EDGE_PLAIN = [
  '',
  'true',
  'TRUE',
  'True',
  'false',
  'null',
  'NULL',
  '~',
  '1',
  '1e3',
  '0x1F',
  '0o17',
  '.5',
  '-1',
  '+1',
  '.inf',
  '-.inf',
  '.NaN',
  '1_000',
  '0b11',
  '1h',
  'a: b',
  'a #b',
  'a #',
  'a:',
  '- a',
  '-a',
  '? a',
  ':a',
  '&a x',
  '*a',
  '!a x',
  '!!str x',
  '%a',
  '@a',
  '`a',
  '{a: b}',
  '[a, b]',
  '|',
  '>',
  '>-',
  '#a',
  ',a',
  '"a',
  "'a",
  'a\tb',
  'a\rb',
  'é',
  '\u0085',
  '\u2028',
  '---',
  '...',
  '~/x',
  '.x',
] as const;

const QUOTED_CHARS = ['a', ' ', '#', ':', '"', "'", '\\', 'b', '-', 'é', '\t'] as const;

function quoted(r: Random): string {
  const length = r.int(0, 6);
  let inner = '';
  for (let i = 0; i < length; i += 1) inner += r.pick(r.edge(0.5) ? QUOTED_CHARS : QUOTED_CHARS.slice(0, 9));
  if (r.chance(0.5)) {
    const single = r.edge(0.2) ? inner : inner.replaceAll("'", "''");
    return `'${single}'`;
  }
  const double = r.edge(0.3) ? inner : inner.replaceAll('"', '').replaceAll('\\', '');
  return `"${double}"`;
}

function scalar(r: Random): string {
  const roll = r.int(0, 9);
  let value: string;
  if (r.edge(1) && roll < 3) value = r.pick(EDGE_PLAIN);
  else if (roll < 7) value = r.pick(CLEAN_PLAIN);
  else value = quoted(r);
  if (r.chance(0.1)) value += ' '.repeat(r.int(1, 2));
  if (r.edge(0.05)) value += ` # ${r.pick(['c', 'a: b', ''])}`;
  return value;
}

export function spaces(n: number): string {
  return ' '.repeat(Math.max(0, n));
}

/** Blank and comment lines that any entry may be preceded by. */
function trivia(r: Random, indent: number, out: string[]): void {
  while (r.chance(0.12)) {
    const at = spaces(r.int(0, indent + 4));
    out.push(r.chance(0.4) ? at : `${at}#${r.pick([' comment', '', '#', ' a: b', ' - x', ' |'])}`);
  }
}

const BLOCK_LINES = [
  'systemctl stop app00',
  'rsync -a --delete /srv/app00/live/ /var/backup/app00/',
  '# not a comment',
  'a: b',
  '- x',
  '\'q\' "q" \\',
  '|',
  '  x',
  '---',
  '...',
  '%YAML',
  'key:',
] as const;

/** A literal block scalar: its header goes after `head`, its lines (indented beyond `parent`) into `out`. */
function blockScalar(r: Random, parent: number, head: string, out: string[]): void {
  const clean = ['|', '|-', '|+', '|  ', '|- '];
  const edge = ['>', '>-', '|2', '|-2', '| # c', '|#', '|+-', '|\t'];
  out.push(`${head} ${r.edge(0.15) ? r.pick(edge) : r.pick(clean)}`);
  const indent = parent + (r.edge(0.3) ? r.int(0, 3) : r.int(1, 3));
  const leading = r.chance(0.2) ? r.int(1, 2) : 0;
  for (let i = 0; i < leading; i += 1) out.push(spaces(r.int(0, r.edge(0.3) ? indent + 2 : indent)));
  if (r.edge(0.05)) return;
  // the first line sets the indentation: it starts with a non-space
  out.push(`${spaces(indent)}${r.pick(BLOCK_LINES.filter((line) => !line.startsWith(' ')))}`);
  const more = r.int(0, 4);
  for (let i = 0; i < more; i += 1) {
    const roll = r.int(0, 9);
    if (roll < 2) out.push(spaces(r.int(0, indent + 3)));
    else if (roll < 3) out.push(`${spaces(r.edge(0.5) ? r.int(0, indent) : indent + r.int(0, 3))}# c`);
    else out.push(`${spaces(indent + (r.edge(0.1) ? -1 : r.int(0, 2)))}${r.pick(BLOCK_LINES)}`);
  }
  if (r.chance(0.3)) for (let i = r.int(1, 3); i > 0; i -= 1) out.push(spaces(r.int(0, indent + 2)));
}

/** Replaces the leading `indent` spaces of the first line pushed after `from` by a `- ` prefix. */
function compact(out: string[], from: number, indent: number, prefix: string): void {
  out[from] = prefix + out[from]!.slice(indent);
}

function mapping(r: Random, indent: number, depth: number, out: string[], prefix?: string): void {
  const start = out.length;
  const used = new Set<string>();
  const entries = r.int(1, 4);
  for (let i = 0; i < entries; i += 1) {
    if (prefix === undefined || i > 0) trivia(r, indent, out);
    let key: string = r.edge(0.08) ? r.pick(EDGE_KEYS) : r.pick(CLEAN_KEYS);
    if (!r.edge(0.03)) {
      while (used.has(key)) key = `${key}x`;
    }
    used.add(key);
    const at = r.edge(0.03) ? indent + r.pick([-1, 1, 2]) : indent;
    value(r, at, depth, `${spaces(at)}${key}:`, out, true);
  }
  if (prefix !== undefined) compact(out, start, indent, prefix);
}

function sequence(r: Random, indent: number, depth: number, out: string[], prefix?: string): void {
  const start = out.length;
  const items = r.int(1, 4);
  for (let i = 0; i < items; i += 1) {
    if (prefix === undefined || i > 0) trivia(r, indent, out);
    const at = r.edge(0.03) ? indent + r.pick([-1, 1]) : indent;
    const dash = `${spaces(at)}-`;
    const roll = r.int(0, 9);
    if (roll < 3 || depth >= 4) out.push(`${dash}${spaces(r.int(1, 2))}${scalar(r)}`);
    else if (roll < 4) blockScalar(r, at, dash, out);
    else if (roll < 7) {
      const gap = r.int(1, 3);
      mapping(r, at + 1 + gap, depth + 1, out, `${dash}${spaces(gap)}`);
    } else if (roll < 8) {
      const gap = r.int(1, 2);
      sequence(r, at + 1 + gap, depth + 1, out, `${dash}${spaces(gap)}`);
    } else {
      value(r, at, depth, dash, out, false);
    }
  }
  if (prefix !== undefined) compact(out, start, indent, prefix);
}

/** What follows `head` (`key:` or `-`): a scalar, a block scalar, or a collection on the next lines. */
function value(
  r: Random,
  indent: number,
  depth: number,
  head: string,
  out: string[],
  inMapping: boolean,
): void {
  const roll = r.int(0, 19);
  if (roll < 7 || depth >= 4) {
    out.push(`${head}${spaces(r.int(1, 3))}${scalar(r)}`);
    return;
  }
  if (roll < 10) {
    blockScalar(r, indent, head, out);
    return;
  }
  if (roll < 11 && r.edge(1)) {
    out.push(`${head}${r.pick(['', ' ', ' # c', ' [a, b]', ' {a: b}', ' &x a', ' *x', ' !!str a', ' - a'])}`);
    return;
  }
  out.push(`${head}${r.chance(0.1) ? '  ' : ''}`);
  trivia(r, indent, out);
  const deeper = indent + (r.edge(0.3) ? r.int(-1, 4) : r.int(1, 4));
  if (roll < 15) mapping(r, deeper, depth + 1, out);
  // a sequence may sit at its key's own column
  else sequence(r, inMapping && r.chance(0.5) ? indent : deeper, depth + 1, out);
}

/** A whole state-file-like document; edgy ones may also be damaged afterwards. */
function documentText(r: Random): string {
  const out: string[] = [];
  if (r.chance(0.3)) out.push(`# states of host${r.int(0, 9999)}`);
  mapping(r, 0, 0, out);
  trivia(r, 0, out);
  let text = `${out.join('\n')}\n`;
  if (!r.edgy) return text;
  const damages = r.chance(0.2) ? r.int(1, 2) : 0;
  for (let i = 0; i < damages; i += 1) text = damage(r, text);
  return text;
}

const INSERTED = [
  '\t',
  '\r',
  '\ufeff',
  'é',
  '#',
  ' ',
  ':',
  '-',
  "'",
  '"',
  '\\',
  '&',
  '*',
  '!',
  '{',
  '[',
  '\n',
  '\0',
  '\x7f',
  '\u0085',
  '\ud800',
];

function damage(r: Random, text: string): string {
  const at = r.int(0, text.length);
  const lines = text.split('\n');
  const line = r.int(0, lines.length - 1);
  switch (r.int(0, 7)) {
    case 0:
      return text.slice(0, at) + r.pick(INSERTED) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    case 2:
      lines.splice(line, 0, lines[line]!);
      return lines.join('\n');
    case 3:
      lines[line] = spaces(r.int(1, 2)) + lines[line]!;
      return lines.join('\n');
    case 4:
      lines[line] = lines[line]!.replace(/^ {1,2}/, '');
      return lines.join('\n');
    case 5:
      return text.replaceAll('\n', '\r\n');
    case 6:
      return r.pick(['\ufeff', '---\n', '%YAML 1.2\n---\n', '--- ', '\n', '# c\n']) + text;
    default:
      return text.replace(/\n$/, r.pick(['', '\n...\n', '\n---\n', '\n---\nb: c\n']));
  }
}

/**
 * Texts inside the subset (`edgy` false), or with edge tokens and damaged layouts; drawn step by
 * step with fast-check's imperative generator.
 */
export function yamlTexts(edgy: boolean): fc.Arbitrary<string> {
  return fc.gen().map((g) => documentText(randomFrom(g, edgy)));
}
