// A slot's live state for a handset the records already hold as provisioned (met again in another slot,
// or booted after a station restart): every step shows done but a label still unprinted, which shows
// skipped with its cause, as History lists it (issue 20 #11).
import { describe, expect, it } from 'vitest';
import { RunState } from '../../../src/main/pipeline/run-state.ts';

describe('the live state of a handset found provisioned', () => {
  it('shows every step done when its label was printed', () => {
    const state = new RunState('1-1.1', () => undefined);
    state.provisioned(7, null);
    expect(state.snapshot(null)).toMatchObject({ phase: 'provisioned', recordSeq: 7, steps: { record: 'passed', label: 'passed' }, unprintedLabel: null });
  });

  it('shows the label skipped with its cause while no printer took it', () => {
    const state = new RunState('1-1.1', () => undefined);
    state.provisioned(7, 'no-printer');
    expect(state.snapshot(null)).toMatchObject({ phase: 'provisioned', steps: { record: 'passed', label: 'skipped' }, unprintedLabel: 'no-printer' });
  });

  it('drops a cause the label step no longer stands skipped for (a new attempt)', () => {
    const state = new RunState('1-1.1', () => undefined);
    state.provisioned(7, 'not-taken');
    state.mark('label', 'running');
    expect(state.snapshot(null)).toMatchObject({ steps: { label: 'running' }, unprintedLabel: null });
  });
});
