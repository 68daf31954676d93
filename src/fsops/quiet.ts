// Keeps this process's data writes to remote mounts and its fresh checks of remote paths apart in time.
//
// sshfs with its caches on (how it is mounted by default) learns a path's attributes from the server when
// the path is opened, but keeps what it learned only if no data was written through the mount (to any
// file) while the open was on the wire: its cache has one write counter for the whole mount. Otherwise the
// old cached attributes stay, and the fresh check (see fresh.ts) reads a stale view after all. Measured on
// sshfs 3.7: with a loop writing another file through the mount, 14 of 20 fresh checks of a file changed on
// the server saw its old size; with no writes, 0 of 20. So a fresh check waits for the writes in flight
// (each a single write call) and holds new ones back for its one round trip; checks may overlap each other,
// writes may overlap each other. Writes by other processes through the same mount are out of reach.

type Kind = 'write' | 'check';

const active: Record<Kind, number> = { write: 0, check: 0 };
let checksWaiting = 0;
let waiters: (() => void)[] = [];

function mayEnter(kind: Kind): boolean {
  // A waiting check holds new writes back, so a steady upload cannot starve it.
  return kind === 'write' ? active.check === 0 && checksWaiting === 0 : active.write === 0;
}

async function enter(kind: Kind): Promise<void> {
  while (!mayEnter(kind)) {
    if (kind === 'check') checksWaiting++;
    await new Promise<void>((resolve) => waiters.push(resolve));
    if (kind === 'check') checksWaiting--;
  }
  active[kind]++;
}

function leave(kind: Kind): void {
  active[kind]--;
  const wake = waiters;
  waiters = [];
  for (const w of wake) w();
}

async function holding<T>(kind: Kind, fn: () => Promise<T>): Promise<T> {
  await enter(kind);
  try {
    return await fn();
  } finally {
    leave(kind);
  }
}

/** Runs `fn`, one data write to a file on a remote mount, while no fresh check is on the wire. */
export function remoteWrite<T>(fn: () => Promise<T>): Promise<T> {
  return holding('write', fn);
}

/** Runs `fn`, a fresh check of a remote path (open and stat), while none of this process's writes is. */
export function quietCheck<T>(fn: () => Promise<T>): Promise<T> {
  return holding('check', fn);
}
