/**
 * `node --import dist/test/support/child/record-loads.js …`: appends the URL of every module the process (and its
 * worker threads) loads to the file named by RECORD_LOADS, one a line: ES modules through a loader hook, CommonJS
 * files (`require`, and what a CommonJS package imported from ES code requires) as they are compiled. Tests read it to
 * see what a server loads at start.
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const file = process.env.RECORD_LOADS;
if (file) {
  register(new URL('./record-loads-hooks.js', import.meta.url), { data: { file } });
  type Compile = (module: unknown, filename: string) => unknown;
  const extensions = (Module as unknown as { _extensions: Record<string, Compile> })._extensions;
  const compileJs = extensions['.js']!;
  extensions['.js'] = function (this: unknown, module, filename) {
    appendFileSync(file, `${pathToFileURL(filename).href}\n`);
    return compileJs.call(this, module, filename);
  };
}
