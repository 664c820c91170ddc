// The subset parser stands in for js-yaml and the `yaml` package only where both would return an
// equal value without an error: a value it returns that they would not is a state file acted on
// as something it does not say. Differential: random texts from a grammar of the subset and of
// its edges, every accepted one compared with both parsers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { CORE_SCHEMA, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseFile } from '../../../src/config/document.js';
import { parseYamlSubset } from '../../../src/config/yaml-subset.js';
import { fleetFiles } from '../../bench/preview-fleet.mjs';

type Outcome = { ok: true; value: unknown } | { ok: false };

function jsYaml(text: string): Outcome {
  try {
    return { ok: true, value: load(text, { schema: CORE_SCHEMA }) };
  } catch {
    return { ok: false };
  }
}

// the options of src/config/document.ts
function yamlPackage(text: string): Outcome {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) return { ok: false };
  return { ok: true, value: doc.toJS() };
}

/** Fails unless `text` is refused, or both full parsers return the subset parser's value. */
function expectAgreement(text: string): boolean {
  const value = parseYamlSubset(text);
  if (value === undefined) return false;
  const reference = jsYaml(text);
  expect(reference.ok, `js-yaml refuses ${JSON.stringify(text)}`).toBe(true);
  expect(
    isDeepStrictEqual(value, reference.ok && reference.value),
    `js-yaml differs on ${JSON.stringify(text)}`,
  ).toBe(true);
  const other = yamlPackage(text);
  expect(other.ok, `yaml refuses ${JSON.stringify(text)}`).toBe(true);
  expect(isDeepStrictEqual(value, other.ok && other.value), `yaml differs on ${JSON.stringify(text)}`).toBe(
    true,
  );
  return true;
}

// ---- a random source for the grammar below (fast-check's imperative generator) ----

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

function spaces(n: number): string {
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

// shrinking a text drawn step by step takes many minutes: the first failing text is reported as is
const cleanTexts = fc.gen().map((g) => documentText(randomFrom(g, false)));
const edgyTexts = fc.gen().map((g) => documentText(randomFrom(g, true)));

describe('parseYamlSubset', () => {
  it('accepts every text from the grammar of the subset, with the value of both full parsers', () => {
    fc.assert(
      fc.property(cleanTexts, (text) => {
        expect(expectAgreement(text), `refused ${JSON.stringify(text)}`).toBe(true);
      }),
      { numRuns: 3000, endOnFailure: true },
    );
  });

  it('returns a value only where both full parsers return it, on texts at and over the edges', () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(edgyTexts, (text) => {
        runs += 1;
        if (expectAgreement(text)) accepted += 1;
      }),
      { numRuns: 6000, endOnFailure: true },
    );
    // the edges are reached from both sides: a test that accepts nothing proves nothing
    expect(accepted / runs).toBeGreaterThan(0.1);
    expect(accepted / runs).toBeLessThan(0.9);
  });

  // exhaustive where random texts are thin: every short token in every position, every small layout
  it('agrees on every scalar or key of up to two characters, in every position', () => {
    const alphabet = [...`a :#-'"/.1?,[{!&*|>%@\`~\\$_e+<=`];
    const words = ['', ...alphabet, ...alphabet.flatMap((a) => alphabet.map((b) => a + b))];
    const forms = [
      (x: string) => `k: ${x}\n`,
      (x: string) => `k:\n  - ${x}\n`,
      (x: string) => `${x}: v\n`,
      (x: string) => `k:\n- ${x}\n`,
      (x: string) => `k: |\n  ${x}\n`,
      (x: string) => `k:\n  - ${x}: v\n`,
      (x: string) => `k: '${x}'\n`,
      (x: string) => `k: "${x}"\n`,
      (x: string) => `k: ${x}\nj: w\n`,
    ];
    let accepted = 0;
    for (const word of words) for (const form of forms) if (expectAgreement(form(word))) accepted += 1;
    expect(accepted).toBeGreaterThan(1000);
  });

  it('agrees on every block scalar of up to three lines', () => {
    const lines = ['', ' ', '  ', '   ', '    ', '     ', 'x', ' x', '  x', '   x', '    x', '  #', '# c'];
    const heads = ['k: |', 'k: |-', 'k: |+', 'k:\n  - |', 'k:\n- |+', 'k:\n  - j: |-'];
    const tails = ['', 'j: w\n', '  j: w\n'];
    let bodies: string[][] = [[]];
    const all: string[][] = [];
    for (let n = 1; n <= 3; n += 1) {
      bodies = bodies.flatMap((body) => lines.map((line) => [...body, line]));
      all.push(...bodies);
    }
    let accepted = 0;
    for (const body of all)
      for (const head of heads)
        for (const tail of tails) if (expectAgreement(`${head}\n${body.join('\n')}\n${tail}`)) accepted += 1;
    expect(accepted).toBeGreaterThan(2000);
  });

  it('agrees on every layout of two lines under a first entry', () => {
    const kinds = ['a: x', 'b:', '- x', '- a: x', '- - x', '-', '# c', '', 'c: |', 'x', '-  d: y', 'a: y'];
    const lines = kinds.flatMap((kind) => [0, 1, 2, 3, 4].map((indent) => spaces(indent) + kind));
    let accepted = 0;
    for (const first of ['k:', 'k: v', 'k:\n  m:', 'k:\n- x'])
      for (const a of lines)
        for (const b of lines) if (expectAgreement(`${first}\n${a}\n${b}\n`)) accepted += 1;
    expect(accepted).toBeGreaterThan(500);
  });

  it.each<[string, string, unknown]>([
    ['a sequence at its key’s column', 'a:\n- x\n- y\nb: z\n', { a: ['x', 'y'], b: 'z' }],
    [
      'a mapping in a sequence item',
      'a:\n  - k: v\n    j: w\n  -   k: u\n',
      { a: [{ k: 'v', j: 'w' }, { k: 'u' }] },
    ],
    ['nested sequences on one line', 'a:\n  - - x\n    - y\n  - z\n', { a: [['x', 'y'], 'z'] }],
    [
      'comments anywhere between entries',
      '# c\na:\n      # c\n  b: x\n # c\n  c: y\n',
      { a: { b: 'x', c: 'y' } },
    ],
    ['quotes', `a: 'it''s # x'\nb: "a: b"\nc: ''\n`, { a: "it's # x", b: 'a: b', c: '' }],
    [
      'words that are strings in the core schema',
      'a: yes\nb: off\nc: NaN\n',
      { a: 'yes', b: 'off', c: 'NaN' },
    ],
    ['clip, strip and keep', 'a: |\n  x\n\nb: |-\n  y\n\nc: |+\n  z\n\n', { a: 'x\n', b: 'y', c: 'z\n\n' }],
    ['keep stops at a comment', 'a: |+\n  x\n\n# c\n\nb: y\n', { a: 'x\n\n', b: 'y' }],
    ['leading empty lines and more-indented lines', 'a: |\n\n  x\n    y\n\n  z\n', { a: '\nx\n  y\n\nz\n' }],
    ['a spaces-only line deeper than the content', 'a: |\n  x\n     \n  y\n', { a: 'x\n   \ny\n' }],
    ['a block scalar in a sequence', 'a:\n- |\n x\n', { a: ['x\n'] }],
  ])('%s', (_name, text, expected) => {
    expect(parseYamlSubset(text)).toEqual(expected);
    expectAgreement(text);
  });

  it('keeps __proto__ an own key, as both full parsers do', () => {
    const value = parseYamlSubset('__proto__: x\nb:\n  __proto__:\n    c: d\n');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value ?? {})).toEqual(['__proto__', 'b']);
    expectAgreement('__proto__: x\nb:\n  __proto__:\n    c: d\n');
  });

  it.each([
    ['empty', ''],
    ['only a comment', '# c\n'],
    ['no final newline', 'a: b'],
    // the scanner relies on every line ending with `\n` (else it would loop on this one)
    ['a comment without a newline', '# c'],
    ['a top-level sequence', '- a\n'],
    ['a top-level scalar', 'a\n'],
    ['an indented top level', '  a: b\n'],
    ['a null value', 'a:\nb: c\n'],
    ['an empty block scalar', 'a: |\nb: c\n'],
    ['a duplicate key', 'a: b\na: c\n'],
    ['a bool key', 'true: a\n'],
    ['a number', 'a: 1\n'],
    ['a null word', 'a: Null\n'],
    ['a trailing comment', 'a: b # c\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a folded scalar', 'a: >\n  b\n'],
    ['an indentation indicator', 'a: |2\n  b\n'],
    ['a more-indented leading empty line', 'a: |\n   \n  b\n'],
    ['a backslash in double quotes', 'a: "\\n"\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF', 'a: b\r\n'],
    ['a BOM', '\ufeffa: b\n'],
    ['non-ASCII', 'a: é\n'],
    ['a flow sequence', 'a: [b]\n'],
    ['an anchor', 'a: &x b\n'],
    ['a document marker', '---\na: b\n'],
  ])('leaves %s to the full parsers', (_name, text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
  });

  it('accepts every state file of the benchmark fleet and the example', () => {
    const files = Object.entries(fleetFiles({ machines: 3, destinations: 1, states: 4 }, 'script'));
    const states = files.filter(([path]) => path.endsWith('.yaml'));
    expect(states).toHaveLength(3);
    for (const [, text] of states) expect(expectAgreement(text)).toBe(true);
    const example = readFileSync('examples/clan-storagebox/machines/jon/state.yaml', 'utf8');
    expect(expectAgreement(example)).toBe(true);
  });

  it('agrees with both full parsers on every example YAML file it accepts', () => {
    for (const file of yamlFiles('examples')) expectAgreement(readFileSync(file, 'utf8'));
  });
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('hostile inputs end quickly, without a stack overflow', () => {
  it.each([
    ['20,000 nested sequences on one line', `a: \n  ${'- '.repeat(20_000)}x\n`],
    [
      '3,000 levels of indentation',
      `${Array.from({ length: 3000 }, (_, i) => `${spaces(i)}k${i}:`).join('\n')} x\n`,
    ],
    ['a 1 MB line', `a: ${'x'.repeat(1 << 20)}\n`],
    ['a 1 MB quoted line of quotes', `a: '${"''".repeat(1 << 19)}'\n`],
    [
      'a 5 MB file',
      `state:\n${Array.from({ length: 40_000 }, (_, i) => `  app${i}:\n    folders:\n      - /srv/${i}\n    preBackupScript: |\n      echo ${i}\n      true\n`).join('')}`,
    ],
    ['a 5 MB block scalar', `a: |\n${'  line\n\n'.repeat(700_000)}`],
  ])('%s', { timeout: 10_000 }, (_name, text) => {
    const value = parseYamlSubset(text);
    if (value !== undefined) expect(Object.keys(value).length).toBeGreaterThan(0);
  });

  it('parseFile refuses a deep document it accepts as nested too deep, like the full parsers', () => {
    const deep = (levels: number) =>
      `state:\n${Array.from({ length: levels }, (_, i) => `${spaces(2 * i + 2)}k:`).join('\n')} x\n`;
    expect(parseYamlSubset(deep(70))).toBeDefined();
    const result = parseFile('machines/jon/state.yaml', deep(70));
    expect(result.ok).toBe(false);
    expect(parseFile('machines/jon/state.yaml', deep(40)).ok).toBe(true);
  });
});
