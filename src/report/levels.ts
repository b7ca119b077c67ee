// How each level presents itself, in one place: every reporter asks here.
import type { Level } from '../findings.js';

export const LEVEL_TITLES: Record<Level, string> = {
  P0: 'breaks even one replica, loses data on restart, or crash-loops',
  P1: 'breaks horizontal scaling, rolling updates or safe promotion',
  P2: 'hygiene and hardening',
};

export const LEVEL_BADGES: Record<Level, string> = { P0: '🔴 P0', P1: '🟠 P1', P2: '🟡 P2' };

/** picocolors function names, so the text reporter colours without knowing levels. */
export const LEVEL_COLOURS: Record<Level, 'red' | 'yellow' | 'cyan'> = { P0: 'red', P1: 'yellow', P2: 'cyan' };

/** SARIF `level` of a finding and of a rule's default configuration: the one mapping every SARIF consumer sees. */
export const SARIF_LEVELS: Record<Level, 'error' | 'warning' | 'note'> = { P0: 'error', P1: 'warning', P2: 'note' };
