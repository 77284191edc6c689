/** A typed publish/subscribe for the API's push events. */
import type { EventName, EventPayloads } from '../api/index.ts';

type Listener<E extends EventName> = (payload: EventPayloads[E]) => void;
type AnyListener = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

/** Delivers each event to its subscribers and to the shells' forwarders, which send every event on. */
export class EventBus {
  readonly #listeners = new Map<EventName, Set<Listener<EventName>>>();
  readonly #anyListeners = new Set<AnyListener>();

  /** Subscribes to one event; returns the unsubscribe. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Subscribes to every event, as a shell does to forward them; returns the unsubscribe. */
  onAny(listener: AnyListener): () => void {
    this.#anyListeners.add(listener);
    return () => this.#anyListeners.delete(listener);
  }

  /** Delivers `payload` to every listener of `event`; a throwing listener does not stop the others. */
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        console.error(`Pagevault: a listener of ${event} failed`, error);
      }
    }
    for (const listener of this.#anyListeners) {
      try {
        listener(event, payload);
      } catch (error) {
        console.error(`Pagevault: a listener of ${event} failed`, error);
      }
    }
  }
}
