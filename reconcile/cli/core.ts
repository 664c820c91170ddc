// The CLI without its start: what dist/borgops.core.js holds, run by the launcher (launch.ts)
// from V8's code cache.
export { processIo } from './io.js';
export { run } from './program.js';
