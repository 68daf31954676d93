#!/usr/bin/env node
// Entry point, CommonJS on purpose (bin/package.json). On a network mount every blocking fs call holds a
// libuv pool thread for a full round trip, so the pool must be larger than Node's default of 4. libuv
// sizes the pool once, at its first use: an ES-module entry is read through the pool before its first line
// runs, so there the setting below would come too late and the pool would stay at 4 threads.
process.env.UV_THREADPOOL_SIZE ??= '64';
import('../dist/src/cli/main.js').then(
  async ({ main }) => {
    process.exitCode = await main(process.argv);
  },
  (e) => {
    process.stderr.write(
      `lazysync: cannot load (${e instanceof Error ? e.message : String(e)}); run npm run build\n`,
    );
    process.exitCode = 1;
  },
);
