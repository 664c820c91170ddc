import { launch } from './launch.js';

process.exitCode = await launch(import.meta.url);
