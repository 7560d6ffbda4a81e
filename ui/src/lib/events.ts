// Backend → UI change notifications. The backend emits `edge:changed` after every local change
// and whenever incoming sync applied something; screens reload what they show when a topic they
// care about is named. No screen polls.
import { listen } from '@tauri-apps/api/event';
import { detectRole } from './role';
import type { Changed, Topic } from './generated';

export const CHANGED = 'edge:changed';

/**
 * Whether a change concerns a screen showing `topics` (and, if given, one order) in the window
 * `window`: the kiosk and the manager are two devices, and a change of the other device's
 * database is not this window's.
 */
export function concerns(change: Changed, topics: Topic[], orderId?: string, window?: string): boolean {
  if (window !== undefined && change.window !== undefined && change.window !== window) return false;
  if (!change.topics.some((t) => topics.includes(t))) return false;
  if (orderId === undefined || change.order_id === undefined) return true;
  // A change of one order: only that order's screen cares (lists of orders pass no id).
  return change.order_id === orderId || !change.topics.includes('orders');
}

/**
 * Calls `handler` for every change that concerns `topics`, and once as soon as listening has
 * started: a change that landed between the screen's first load and then (central's answers
 * can all arrive within a second of a checkout) is not missed. Returns the function that stops
 * listening (for `onMount`'s cleanup). Outside Tauri (vite dev, unit tests) it does nothing.
 */
export function onChanged(
  topics: Topic[],
  handler: (change: Changed) => void,
  orderId?: string,
): () => void {
  let stop: (() => void) | null = null;
  let stopped = false;
  if (!('__TAURI_INTERNALS__' in window)) return () => undefined;
  const mine = detectRole();
  listen<Changed>(CHANGED, (event) => {
    if (concerns(event.payload, topics, orderId, mine)) handler(event.payload);
  })
    .then((unlisten) => {
      if (stopped) {
        unlisten();
        return;
      }
      stop = unlisten;
      handler({ topics: [...topics], order_id: orderId, window: mine });
    })
    .catch(() => undefined);
  return () => {
    stopped = true;
    stop?.();
  };
}
