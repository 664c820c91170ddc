import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BorgopsError } from '../errors.js';

/** An object as `git cat-file` answers it; `data` only for `contents`. */
export interface BatchObject {
  oid: string;
  type: string;
  size: number;
  data?: Buffer;
}

/** The answers to one `batch` call: one per name, in order. */
interface Batch {
  contents: boolean;
  expected: number;
  answers: (BatchObject | undefined)[];
  resolve(answers: (BatchObject | undefined)[]): void;
  reject(error: Error): void;
}

/** A header line: `<oid> SP <type> SP <size>` (the default format). */
const headerLine = /^([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+) ([0-9]+)$/;
/** What git prints instead for a name it cannot resolve to one object. */
const notFoundLine = / (missing|ambiguous)$/;
/** Longest line borgops waits for (a `missing` line repeats the name asked for) before it gives up. */
const MAX_LINE_BYTES = 64 * 1024;

/** True for a name `batch` can ask git for: one without a line break or a NUL. */
export function askable(name: string): boolean {
  return !/[\n\r\0]/.test(name);
}

/**
 * One `git cat-file --batch-command --buffer` process, driven over stdin and stdout: the batches
 * asked for in one turn of the event loop are written together, ended by one `flush`, and the
 * answers are parsed as they stream in. Any failure (git cannot start, dies, or answers something
 * unexpected) rejects every open batch with an E_GIT error naming `label`, and kills git; what git
 * printed on stdout (the config files themselves) never goes into a message.
 */
export class CatFile {
  /** How errors name what is read (the ref, then the commit). */
  label: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly what: string;
  /** Batches written or to be written, answered in order from `head` on. */
  private queue: Batch[] = [];
  private head = 0;
  private commands = '';
  private flushing = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** A `contents` header was read: `size` bytes and a newline follow. */
  private body: BatchObject | undefined;
  private failure: BorgopsError | undefined;
  private ended = false;
  private stderr = '';

  constructor(options: { cwd: string; env: Record<string, string>; what: string; label: string }) {
    this.what = options.what;
    this.label = options.label;
    this.child = spawn('git', ['cat-file', '--batch-command', '--buffer'], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < MAX_LINE_BYTES) this.stderr += chunk.toString('utf8');
    });
    // a write to a git that died (EPIPE) is reported by 'close', with git's own reason
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('error', (error) => this.fail(`failed (${error.message})`));
    this.child.on('error', (error) => this.fail(`could not be started (${error.message})`));
    this.child.on('close', (code, signal) => {
      if (this.ended && !this.open()) return;
      const stderr = this.stderr.split('\n')[0]?.trim();
      const why = stderr || (signal === null ? `exit code ${code}` : `killed by ${signal}`);
      this.fail(`failed (${why})`);
    });
  }

  /**
   * `contents` (type, size and contents) or `info` (type and size) of each object `names` names,
   * in order; undefined where git finds no object (or more than one) for the name.
   */
  batch(command: 'contents' | 'info', names: readonly string[]): Promise<(BatchObject | undefined)[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(new Error('git cat-file was already ended'));
    if (names.length === 0) return Promise.resolve([]);
    // one command a line: a line break (or a NUL, where git cuts the name) would make another name
    if (!askable(names.join(''))) return Promise.reject(new Error('a name git cannot be asked for'));
    return new Promise((resolve, reject) => {
      this.queue.push({
        contents: command === 'contents',
        expected: names.length,
        answers: [],
        resolve,
        reject,
      });
      for (const name of names) this.commands += `${command} ${name}\n`;
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** An E_GIT error for an answer that makes no sense; git is stopped. */
  unexpected(why: string): BorgopsError {
    this.fail(`answered unexpectedly (${why})`);
    return this.failure as BorgopsError;
  }

  /** Closes git's input, so it exits; kills it when batches are still open (a read given up). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.child.stdin.end();
    if (this.open()) this.fail('was stopped');
  }

  private open(): boolean {
    return this.head < this.queue.length;
  }

  private flush(): void {
    this.flushing = false;
    if (this.failure !== undefined || this.commands === '') return;
    this.child.stdin.write(`${this.commands}flush\n`);
    this.commands = '';
  }

  private receive(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // nothing to parse yet: no end of a header line, or not all of a body
    if (this.body === undefined ? !chunk.includes(10) : this.buffered <= this.body.size) {
      if (this.body === undefined && this.buffered > MAX_LINE_BYTES) this.fail('answered unexpectedly');
      return;
    }
    const data = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    const at = this.parse(data);
    this.chunks = at !== undefined && at < data.length ? [data.subarray(at)] : [];
    this.buffered = at === undefined ? 0 : data.length - at;
    if (at === undefined || (this.body === undefined && this.buffered > MAX_LINE_BYTES))
      this.fail('answered unexpectedly');
  }

  /** Takes the answers `data` holds; the offset of the rest, or undefined for output that makes no sense. */
  private parse(data: Buffer): number | undefined {
    // header lines are found in a latin1 window (each byte one character) decoded once for many
    // answers, not with a slow Buffer call per line; large bodies are skipped, never decoded here
    let window = '';
    let windowStart = 0;
    let at = 0;
    for (;;) {
      const batch = this.queue[this.head];
      if (this.body !== undefined) {
        const end = at + this.body.size;
        if (data.length <= end) return at;
        if (data[end] !== 10 || batch === undefined) return undefined;
        this.body.data = data.subarray(at, end);
        this.answer(batch, this.body);
        this.body = undefined;
        at = end + 1;
        continue;
      }
      if (at === data.length) return at;
      let newline = at < windowStart + window.length ? window.indexOf('\n', at - windowStart) : -1;
      if (newline === -1) {
        window = data.toString('latin1', at, Math.min(data.length, at + MAX_LINE_BYTES));
        windowStart = at;
        newline = window.indexOf('\n');
        // no line end: the rest of the line is still to come, or the line is too long to be an answer
        if (newline === -1) return at + window.length === data.length ? at : undefined;
      }
      if (batch === undefined) return undefined;
      const line = window.slice(at - windowStart, newline);
      at = windowStart + newline + 1;
      const header = headerLine.exec(line);
      if (header === null) {
        if (!notFoundLine.test(line)) return undefined;
        this.answer(batch, undefined);
        continue;
      }
      const object: BatchObject = { oid: header[1] ?? '', type: header[2] ?? '', size: Number(header[3]) };
      if (batch.contents) this.body = object;
      else this.answer(batch, object);
    }
  }

  private answer(batch: Batch, object: BatchObject | undefined): void {
    batch.answers.push(object);
    if (batch.answers.length < batch.expected) return;
    this.head += 1;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    batch.resolve(batch.answers);
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = new BorgopsError(
      'E_GIT',
      `cannot read ${this.what} at ${this.label}: git cat-file ${reason}`,
    );
    const open = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.body = undefined;
    for (const batch of open) batch.reject(this.failure);
    this.child.kill();
  }
}
