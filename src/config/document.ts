import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from 'yaml';
import type { Problem } from './problem.js';

/** A parsed JSON or YAML file that can tell the line of any path in it. */
export interface ParsedFile {
  file: string;
  value: unknown;
  lineOf(path: readonly PropertyKey[], which?: 'key' | 'value'): number;
}

export type ParseResult = { ok: true; parsed: ParsedFile } | { ok: false; problems: Problem[] };

function jsonSyntaxProblem(file: string, text: string, error: unknown): Problem {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  let line = 1;
  if (position?.[1] !== undefined) {
    line = text.slice(0, Number(position[1])).split('\n').length;
  }
  const lineMatch = /line (\d+)/.exec(message);
  if (position === null && lineMatch?.[1] !== undefined) line = Number(lineMatch[1]);
  // V8 quotes the whole input in some messages; never echo file contents (they may hold secrets)
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  return { file, line, path: '', message: `invalid JSON: ${reason}`, severity: 'error' };
}

/**
 * Parses JSON and YAML with one parser so both get line numbers; a `.json` file must also be
 * strict JSON. Duplicate keys are errors in both (JSON.parse would silently keep the last).
 * Valid JSON without duplicate keys takes a fast path (JSON.parse, ~100× faster than the YAML
 * parser on a large inventory); its lines are found by the YAML parser only when asked for.
 */
export function parseFile(file: string, text: string): ParseResult {
  const fast = file.endsWith('.json') ? parseJsonFast(file, text) : parseYamlFast(file, text);
  return fast ?? parseYaml(file, text);
}

function parseJsonFast(file: string, text: string): ParseResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // the YAML path reports syntax errors with their line
    return undefined;
  }
  if (hasDuplicateKey(text)) return undefined;
  return lazilyLocated(file, text, value);
}

/**
 * js-yaml (core schema, duplicate keys refused) is ~10× faster than the `yaml` parser, which
 * keeps the positions; a preview of a thousand machines parses a thousand state files. Any
 * problem, and any line lookup, goes through the `yaml` parser.
 */
function parseYamlFast(file: string, text: string): ParseResult | undefined {
  // js-yaml has no alias limit: a file with anchors takes the path that enforces one
  if (ANCHOR.test(text)) return undefined;
  let value: unknown;
  try {
    value = loadYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch {
    return undefined;
  }
  return lazilyLocated(file, text, value);
}

function lazilyLocated(file: string, text: string, value: unknown): ParseResult {
  let locate: Locate | undefined;
  return {
    ok: true,
    parsed: {
      file,
      value,
      // positions only: the value is already known, and the text already passed every check
      lineOf(path, which = 'key') {
        locate ??= locatorOf(text);
        return locate(path, which);
      },
    },
  };
}

function locatorOf(text: string): Locate {
  const counter = new LineCounter();
  return locator(parseDocument(text, { ...YAML_OPTIONS, lineCounter: counter }), counter);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True when an object of (valid) JSON text has a key twice; one linear scan, no parse tree. */
export function hasDuplicateKey(text: string): boolean {
  const objects: (Set<string> | undefined)[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text[i];
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(undefined);
    else if (c === '}' || c === ']') objects.pop();
    else if (text.charCodeAt(i) === QUOTE) {
      let end = i + 1;
      let escaped = false;
      while (end < length && text.charCodeAt(end) !== QUOTE) {
        if (text.charCodeAt(end) === BACKSLASH) {
          escaped = true;
          end += 1;
        }
        end += 1;
      }
      const top = objects.at(-1);
      let next = end + 1;
      while (
        next < length &&
        (text[next] === ' ' || text[next] === '\n' || text[next] === '\r' || text[next] === '\t')
      )
        next += 1;
      if (top !== undefined && text[next] === ':') {
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (top.has(key)) return true;
        top.add(key);
      }
      i = end;
    }
    i += 1;
  }
  return false;
}

/** yaml's limit on alias expansion: generous for `settings: *common` on thousands of machines, finite for a billion laughs. */
const MAX_ALIAS_COUNT = 10_000;
const ANCHOR = /(?:^|[\s[{,:-])&[^\s,[\]{}]/m;
const ALIAS = /(^|[\s[{,:-])\*[^\s,[\]{}]+/m;

// yaml's own duplicate-key check compares each key with every earlier one (16,000 keys take
// minutes); firstDuplicateKey does it with a set.
const YAML_OPTIONS = { uniqueKeys: false, prettyErrors: false, strict: true } as const;

/** The source range of the first key that repeats a key of its own map, in document order. */
function firstDuplicateKey(doc: Document.Parsed): [number, number] | undefined {
  let found: [number, number] | undefined;
  visit(doc, {
    Map(_, node) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const key = String(item.key.value);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const range = item.key.range;
        if (range && (found === undefined || range[0] < found[0])) found = [range[0], range[1]];
      }
    },
  });
  return found;
}

function parseYaml(file: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
  const problems: Problem[] = [];
  if (file.endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch (error: unknown) {
      // V8's messages are the clearest for JSON when they say where; otherwise the YAML parser's line is used
      if (/position \d+/.test(error instanceof Error ? error.message : ''))
        return { ok: false, problems: [jsonSyntaxProblem(file, text, error)] };
      if (doc.errors.length === 0) return { ok: false, problems: [jsonSyntaxProblem(file, text, error)] };
    }
  }
  // a syntax error makes the parser report follow-on errors; the first one is the one to fix
  for (const error of doc.errors.slice(0, 1)) {
    const offset = error.pos[0];
    const line = lineCounter.linePos(offset).line;
    const reason =
      error.code === 'DUPLICATE_KEY'
        ? `duplicate key: ${duplicateKeyName(text, error.pos)}`
        : firstLine(error.message);
    problems.push({ file, line, path: '', message: `invalid ${kindOf(file)}: ${reason}`, severity: 'error' });
  }
  if (problems.length > 0) return { ok: false, problems };
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined) {
    const line = lineCounter.linePos(duplicate[0]).line;
    const message = `invalid ${kindOf(file)}: duplicate key: ${duplicateKeyName(text, duplicate)}`;
    return { ok: false, problems: [{ file, line, path: '', message, severity: 'error' }] };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error: unknown) {
    // yaml's ReferenceError for an alias expanded too often (a billion-laughs file)
    if (!(error instanceof ReferenceError)) throw error;
    const alias = ALIAS.exec(text);
    const line = alias === null ? 1 : lineCounter.linePos(alias.index + (alias[1]?.length ?? 0)).line;
    const message = `invalid YAML: aliases expand to more than ${MAX_ALIAS_COUNT} nodes (anchors are limited so that a small file cannot expand without bound); write the repeated parts out`;
    return { ok: false, problems: [{ file, line, path: '', message, severity: 'error' }] };
  }
  // a parse tree is ~20× its text: keep none, and parse again only a file whose problem needs a line
  let locate: Locate | undefined;
  return {
    ok: true,
    parsed: {
      file,
      value,
      lineOf(path, which = 'key') {
        locate ??= locatorOf(text);
        return locate(path, which);
      },
    },
  };
}

type Locate = (path: readonly PropertyKey[], which: 'key' | 'value') => number;

const keyIndexes = new WeakMap<object, Map<string, Pair>>();

/** A map node's pairs by key, built once: a lookup per problem must not scan every key (16,000 states). */
function keyIndex(node: YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(node);
  if (index === undefined) {
    index = new Map();
    for (const item of node.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const key = String(item.key.value);
      // the first pair wins, as the linear search did
      if (!index.has(key)) index.set(key, item);
    }
    keyIndexes.set(node, index);
  }
  return index;
}

/** The line of the key (or value) at `path`, or of its deepest existing ancestor. */
function locator(doc: Document.Parsed, lineCounter: LineCounter): Locate {
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  return (path, which) => {
    let node: unknown = doc.contents;
    let line = node && isNodeWithRange(node) ? lineAt(node.range[0]) : 1;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = keyIndex(node).get(String(segment));
        if (!pair) return line;
        const keyNode = pair.key;
        if (isNodeWithRange(keyNode)) line = lineAt(keyNode.range[0]);
        node = pair.value;
        if (which === 'value' && isNodeWithRange(node)) line = lineAt(node.range[0]);
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!item) return line;
        node = item;
        if (isNodeWithRange(node)) line = lineAt(node.range[0]);
      } else {
        return line;
      }
    }
    return line;
  };
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return (
    typeof node === 'object' &&
    node !== null &&
    'range' in node &&
    Array.isArray((node as { range: unknown }).range)
  );
}

function kindOf(file: string): string {
  return file.endsWith('.json') ? 'JSON' : 'YAML';
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

function duplicateKeyName(text: string, pos: [number, number]): string {
  const end = text.indexOf(':', pos[0]);
  const raw = text.slice(pos[0], end === -1 ? pos[1] : end).trim();
  return raw.length > 0 && raw.length < 80 && !raw.includes('\n') ? raw : 'a key appears twice in one object';
}
