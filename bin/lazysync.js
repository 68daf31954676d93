#!/usr/bin/env node
// Entry point. On a network mount every blocking fs call holds a libuv pool thread for a full round trip,
// so the pool must be larger than Node's default of 4; it must be set before the first fs call.
process.env.UV_THREADPOOL_SIZE ??= '64';
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv);
