import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import DepotFleet from './DepotFleet.svelte';
import { NOW, bot, list } from '../lib/depot.fixtures';
import type { Depot } from '../lib/generated';

describe('the depot view', () => {
  it('shows robots with their status and lists with status, robot and stops', () => {
    const depot: Depot = {
      bots: [bot({ status: 'shopping', list_id: 'L', store_name: 'Green Grocer' })],
      lists: [list({ list_id: 'L', status: 'in_progress', bot_id: bot({}).bot_id, bot_name: 'Scout' })],
    };
    const { body } = render(DepotFleet, { props: { depot, now: NOW } });
    const text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('Scout Shopping');
    expect(text).toContain('At Green Grocer for order #FFEE01');
    expect(text).toContain('Being shopped');
    expect(text).toMatch(/✓ picked: Green Grocer \(2\)/);
    expect(text).toContain('Store #ABCDEF (1)');
    expect(text).toContain('1 min ago');
    expect(body).not.toContain('0192f0c0');
    expect(body).toContain('data-status="in_progress"');
  });

  it('says so when nothing was reported yet', () => {
    const { body } = render(DepotFleet, { props: { depot: { bots: [], lists: [] }, now: NOW } });
    expect(body).toContain('No robot has reported in yet');
    expect(body).toContain('No shopping lists yet');
    expect(body).not.toContain('Robots out shopping');
  });
});
