// Formatting of audit-trail entries (src-tauri's manager_order_trail / manager_product_trail).
import type { TrailEntry } from './generated';

/** `HH:MM:SS` local time of an entry. */
export function trailTime(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** Who wrote it: `user at device`, the device, or nothing. */
export function trailWho(e: TrailEntry): string {
  if (e.user && e.device) return `${e.user} at ${e.device}`;
  return e.user ?? e.device ?? '';
}
