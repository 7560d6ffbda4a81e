// Which screen a window shows: the Tauri window label decides (`kiosk` or `manager`);
// outside Tauri (vite dev in a browser) the URL hash does, e.g. http://localhost:1420/#manager.

export type Role = 'kiosk' | 'manager';

interface TauriInternals {
  metadata?: { currentWindow?: { label?: string } };
}

export function roleFromLabel(label: string | undefined | null): Role {
  return label === 'manager' ? 'manager' : 'kiosk';
}

export function detectRole(): Role {
  const internals = (window as unknown as { __TAURI_INTERNALS__?: TauriInternals })
    .__TAURI_INTERNALS__;
  const label = internals?.metadata?.currentWindow?.label ?? window.location.hash.slice(1);
  return roleFromLabel(label);
}
