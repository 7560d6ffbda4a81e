// What the sync indicator says, from the sync status query.
import type { SyncStatus } from './generated';

export type Tone = 'ok' | 'busy' | 'off' | 'bad';

export interface SyncSummary {
  tone: Tone;
  /** Short text beside the dot, e.g. `Online · 3 waiting`. */
  label: string;
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

/** Online/offline, events waiting, conflicts and quarantined changes in a few words. */
export function summarize(status: SyncStatus): SyncSummary {
  const problem = problemLabel(status);
  if (problem) return { tone: 'bad', label: problem };
  const parts = [status.online ? 'Online' : 'Offline'];
  if (status.waiting > 0) parts.push(`${plural(status.waiting, 'change', 'changes')} waiting`);
  if (status.conflicts.length > 0) {
    parts.push(plural(status.conflicts.length, 'conflict', 'conflicts'));
  }
  const quarantined = status.quarantined?.length ?? 0;
  if (quarantined > 0) parts.push(`${plural(quarantined, 'change', 'changes')} refused`);
  let tone: Tone = status.online ? (status.waiting > 0 ? 'busy' : 'ok') : 'off';
  if (status.conflicts.length > 0 || quarantined > 0) tone = 'bad';
  return { tone, label: parts.join(' · ') };
}

/** `just now`, `5 min ago`, `3 h ago`, or a date, for a time in ms. */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}
