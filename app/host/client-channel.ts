/**
 * What the host sends one WebSocket client, with backpressure. A client that stops
 * reading (a frozen tab, a stalled peer) must not make the host buffer without bound:
 * past `softBytes` waiting to be written, progress ticks are held back and only the
 * latest per job is sent once the socket has drained (a newer tick supersedes an older
 * one); past `hardBytes` the client is closed with 1013 and reloads what it shows when it
 * reconnects.
 */
import type { WebSocket } from 'ws';
import type { WireMessage } from '../api/index.ts';

/** The backlog a client may leave unread before its progress is coalesced, and before it is closed. */
export interface ChannelLimits {
  /** Bytes waiting for the socket above which progress ticks are coalesced. */
  softBytes: number;
  /** Bytes waiting for the socket above which the client is closed. */
  hardBytes: number;
}

/** 1 MiB of backlog is seconds of progress for any client that reads at all; 16 MiB is one that does not. */
export const defaultChannelLimits: ChannelLimits = { softBytes: 1 << 20, hardBytes: 16 << 20 };

/** The close code for a client too far behind ("Try Again Later", RFC 6455 registry). */
export const TOO_FAR_BEHIND = 1013;

/** One client's WebSocket with a bounded backlog: a client that stops reading cannot grow the host's memory. */
export class ClientChannel {
  readonly #ws: WebSocket;
  readonly #limits: ChannelLimits;
  /** The latest held-back progress tick of each job, in the order the jobs last ticked. */
  readonly #held = new Map<string, string>();

  constructor(ws: WebSocket, limits: ChannelLimits = defaultChannelLimits) {
    this.#ws = ws;
    this.#limits = limits;
  }

  /** Queues `message` for the client, coalescing progress ticks while it is behind. */
  send(message: WireMessage): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const text = JSON.stringify(message);
    const jobId = message.type === 'event' && message.event === 'job.progress' ? (message.payload as { jobId?: unknown }).jobId : undefined;
    if (typeof jobId === 'string' && (this.#held.size > 0 || this.#ws.bufferedAmount > this.#limits.softBytes)) {
      this.#held.delete(jobId);
      this.#held.set(jobId, text);
      return;
    }
    // Held ticks go first, so a job's last progress never arrives after what followed it.
    this.#release();
    this.#write(text);
  }

  #release(): void {
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const text of held) this.#write(text);
  }

  #write(text: string): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount + Buffer.byteLength(text) > this.#limits.hardBytes) {
      console.warn(`Pagevault host: closed a WebSocket client that read nothing of ${Math.round(this.#ws.bufferedAmount / 1024 ** 2)} MiB sent to it`);
      this.#held.clear();
      this.#ws.close(TOO_FAR_BEHIND, 'Too far behind: reconnect and reload');
      return;
    }
    this.#ws.send(text, () => this.#drained());
  }

  /** Called as each write reaches the socket: once the backlog is small again, the held ticks go. */
  #drained(): void {
    if (this.#held.size > 0 && this.#ws.bufferedAmount <= this.#limits.softBytes) this.#release();
  }
}
