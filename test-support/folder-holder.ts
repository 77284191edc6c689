// A separate process that holds a data folder as a running Pagevault does (its host.lock),
// with its catalog not open yet, as a host or the desktop app is while it starts. Until SIGTERM.
import { HostLock } from '../app/host/host-lock.ts';

const lock = HostLock.acquire(process.argv[2]!, 'desktop app');
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  lock.release();
  process.stdout.write('released\n');
  process.exit(0);
});
setInterval(() => undefined, 1000);
