/**
 * A process that clones files for the engine (clone.ts), started once per engine thread
 * and kept, so that a clone costs no process start: spawning `cp` took 12 ms from the
 * engine's process here, a fifth of a cloned backup of any size.
 *
 * `node clone-helper.js`: reads requests, one a line, `<source>\t<destination>`, on stdin
 * (in Electron, a utility process, as messages; '' for the end), and answers each with a
 * line: "ok", or "no <code>". Each is cloned with FICLONE (`fs.copyFile` with
 * COPYFILE_FICLONE_FORCE) into a new file: COPYFILE_EXCL, so a file already at the
 * destination is never touched; on a failure libuv removes only the file it made.
 *
 * The source is `/proc/<engine pid>/fd/<fd>`: the very file the engine has open, whatever
 * its path names meanwhile. This process opens and closes it; the engine's POSIX locks
 * on it are the engine process's, and this process's close drops none of them.
 */
import { constants, copyFileSync, writeSync } from 'node:fs';

const answer = (line: string) => {
  try {
    writeSync(1, `${line}\n`);
  } catch {
    process.exit(0); // nobody reads the answers any more
  }
};

function cloneRequest(line: string): void {
  const [source, destination, extra] = line.split('\t');
  if (!source || !destination || extra !== undefined) {
    answer('no EINVAL');
    return;
  }
  try {
    copyFileSync(source, destination, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    answer('ok');
  } catch (error) {
    answer(`no ${(error as NodeJS.ErrnoException).code ?? 'EIO'}`);
  }
}

let buffered = '';
const take = (text: string) => {
  buffered += text;
  for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
    cloneRequest(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
  }
};
const parent = (process as { parentPort?: NodeJS.EventEmitter }).parentPort;
if (parent) {
  parent.on('message', ({ data }: { data: unknown }) => {
    if (typeof data === 'string' && data !== '') take(data);
    else process.exit(0);
  });
} else {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', take);
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0));
}
