// What the sync indicator says, from the sync status query.
import type { SyncStatus } from './generated';

export type Tone = 'ok' | 'busy' | 'off' | 'bad';

export interface SyncSummary {
  tone: Tone;
  /** Short text beside the dot, e.g. `Online · 3 waiting`. */
  label: string;
  /** While a backlog drains: the part of it sent, 0–100 (`null` otherwise). */
  percent: number | null;
}

/** A backlog at least this large shows its progress (a few changes go out at once). */
export const PROGRESS_FROM = 20;

/** The largest number of changes waiting since the outbox was last empty: what a draining
 * backlog's progress is measured against. */
export function backlogHighWater(previous: number, waiting: number): number {
  return waiting === 0 ? 0 : Math.max(previous, waiting);
}

/** The part of a backlog of `highWater` changes already sent when `waiting` remain, 0–100;
 * `null` for a small backlog or none. */
export function backlogPercent(highWater: number, waiting: number): number | null {
  if (highWater < PROGRESS_FROM || waiting === 0) return null;
  return Math.floor(((highWater - waiting) / highWater) * 100);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The one clear state of a device that cannot sync, e.g. `Not enrolled`. */
export function problemLabel(status: Pick<SyncStatus, 'state' | 'problem'>): string | null {
  switch (status.state) {
    case 'not_enrolled':
      return 'Not enrolled';
    case 'refused':
      return 'Credentials refused';
    case 'error':
      return 'Sync error';
    default:
      return status.problem ? 'Sync error' : null;
  }
}

/** Online/offline, events waiting, conflicts and quarantined changes in a few words; with the
 * backlog's high-water mark ([`backlogHighWater`]), how much of a large backlog is sent. */
export function summarize(status: SyncStatus, highWater = 0): SyncSummary {
  const problem = problemLabel(status);
  if (problem) return { tone: 'bad', label: problem, percent: null };
  const parts = [status.online ? 'Online' : 'Offline'];
  const percent = status.online ? backlogPercent(highWater, status.waiting) : null;
  if (percent !== null) {
    parts.push(`sending ${status.waiting.toLocaleString('en-US')} left (${percent}% sent)`);
  } else if (status.waiting > 0) {
    parts.push(`${plural(status.waiting, 'change', 'changes')} waiting`);
  }
  if (status.conflicts.length > 0) {
    parts.push(plural(status.conflicts.length, 'conflict', 'conflicts'));
  }
  const quarantined = status.quarantined?.length ?? 0;
  if (quarantined > 0) parts.push(`${plural(quarantined, 'change', 'changes')} refused`);
  let tone: Tone = status.online ? (status.waiting > 0 ? 'busy' : 'ok') : 'off';
  if (status.conflicts.length > 0 || quarantined > 0) tone = 'bad';
  return { tone, label: parts.join(' · '), percent };
}

/** `just now`, `5 min ago`, `3 h ago`, or a date, for a time in ms. */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}
