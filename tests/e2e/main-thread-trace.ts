// The renderer's main thread as Chromium's tracing sees it: every task with its wall time and the
// CPU time the thread actually ran. On a loaded 2-core machine a task's wall time includes the time
// the thread waited for a core; its CPU time is the renderer's own work.
import { writeFileSync } from 'node:fs';
import type { CDPSession, Page } from '@playwright/test';

export interface TaskFigures {
  readonly tasks: number;
  /** The longest task by wall time (what the Long Tasks API reports), ms. */
  readonly maxWallMs: number;
  /** The most CPU time any one task used, ms. */
  readonly maxCpuMs: number;
  /** Tasks that ran on the CPU for more than 50 ms. */
  readonly overBudget: number;
  /** The CPU time of every task together, ms, and the time from the first task's start to the last one's end. */
  readonly totalCpuMs: number;
  readonly spanMs: number;
  /** The longest task by wall time, with the CPU it used. */
  readonly longest: TaskBreakdown;
  /** Where the CPU time of the task with the most went. */
  readonly worst: TaskBreakdown;
  /**
   * The task with the most CPU in the activities the trace names: the page's own script, style,
   * layout, paint and garbage collection, without `other` (under the test bridge, mostly the
   * protocol delivering a snapshot through page.evaluate, which the Electron preload does not do).
   */
  readonly worstTraced: TaskBreakdown;
}

export type Activity = 'script' | 'style' | 'layout' | 'paint' | 'gc';

/** A task's CPU time by activity, ms; `other` is what no traced activity covers (the task's own scheduling, IPC, parsing). */
export type TaskBreakdown = Readonly<Record<Activity | 'other', number>> & { readonly wallMs: number; readonly cpuMs: number };

const ACTIVITIES: Readonly<Record<string, Activity>> = {
  FunctionCall: 'script',
  EvaluateScript: 'script',
  TimerFire: 'script',
  FireAnimationFrame: 'script',
  EventDispatch: 'script',
  RunMicrotasks: 'script',
  'v8.compile': 'script',
  UpdateLayoutTree: 'style',
  Layout: 'layout',
  PrePaint: 'paint',
  Paint: 'paint',
  Layerize: 'paint',
  Commit: 'paint',
  MinorGC: 'gc',
  MajorGC: 'gc',
};

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly tdur?: number;
  readonly args?: { readonly name?: string };
}

/** Where to keep the whole trace, for DevTools' Performance panel: it then samples JavaScript too, which costs time of its own. */
const TRACE_FILE = process.env['LOCKSTEP_TRACE_FILE'];
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', ...(TRACE_FILE ? ['disabled-by-default-v8.cpu_profiler'] : [])];

export async function startMainThreadTrace(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', { categories: CATEGORIES.join(','), transferMode: 'ReturnAsStream' });
  return cdp;
}

export async function stopMainThreadTrace(cdp: CDPSession): Promise<TaskFigures> {
  const complete = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (event) => resolve(event.stream as string)));
  await cdp.send('Tracing.end');
  const handle = await complete;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle });
    text += chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle });
  if (TRACE_FILE) writeFileSync(TRACE_FILE, text);
  const parsed = JSON.parse(text) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const main = new Set(events.filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args?.name === 'CrRendererMain').map((event) => `${event.pid}:${event.tid}`));
  const onMain = events.filter((event) => event.ph === 'X' && event.ts !== undefined && main.has(`${event.pid}:${event.tid}`));
  const tasks = onMain.filter((event) => event.name === 'RunTask').sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  const breakdowns = breakdownAll(tasks, onMain);
  const most = (measure: (task: TaskBreakdown) => number): TaskBreakdown =>
    breakdowns.reduce((best, task) => (measure(task) > measure(best) ? task : best), NO_TASK);
  return {
    tasks: tasks.length,
    maxWallMs: most((task) => task.wallMs).wallMs,
    maxCpuMs: most((task) => task.cpuMs).cpuMs,
    overBudget: breakdowns.filter((task) => task.cpuMs > 50).length,
    totalCpuMs: breakdowns.reduce((sum, task) => sum + task.cpuMs, 0),
    spanMs: tasks.length === 0 ? 0 : ((tasks.at(-1)?.ts ?? 0) + (tasks.at(-1)?.dur ?? 0) - (tasks[0]?.ts ?? 0)) / 1000,
    longest: most((task) => task.wallMs),
    worst: most((task) => task.cpuMs),
    worstTraced: most((task) => task.cpuMs - task.other),
  };
}

const cpuOf = (event: TraceEvent): number => event.tdur ?? event.dur ?? 0;
const NO_TASK: TaskBreakdown = { script: 0, style: 0, layout: 0, paint: 0, gc: 0, other: 0, wallMs: 0, cpuMs: 0 };

/**
 * Each task's CPU time by activity. The main thread runs one task at a time, so every activity
 * belongs to the last task that started before it. An activity nested in another (a layout forced
 * by script) counts as itself, not twice.
 */
function breakdownAll(tasks: readonly TraceEvent[], events: readonly TraceEvent[]): TaskBreakdown[] {
  const activities = events.filter((event) => Object.hasOwn(ACTIVITIES, event.name)).sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || (b.dur ?? 0) - (a.dur ?? 0));
  let next = 0;
  return tasks.map((task) => {
    const start = task.ts ?? 0;
    const end = start + (task.dur ?? 0);
    const own: Record<Activity, number> = { script: 0, style: 0, layout: 0, paint: 0, gc: 0 };
    const open: { readonly end: number; readonly activity: Activity }[] = [];
    while (next < activities.length && (activities[next]?.ts ?? 0) < start) next += 1;
    for (; next < activities.length && (activities[next]?.ts ?? 0) < end; next += 1) {
      const event = activities[next] as TraceEvent;
      const at = event.ts ?? 0;
      while (open.length > 0 && at >= (open.at(-1)?.end ?? 0)) open.pop();
      const activity = ACTIVITIES[event.name] as Activity;
      const parent = open.at(-1);
      if (parent) own[parent.activity] -= cpuOf(event);
      own[activity] += cpuOf(event);
      open.push({ end: at + (event.dur ?? 0), activity });
    }
    const ms = (us: number): number => Math.max(0, us) / 1000;
    const traced = Object.values(own).reduce((sum, us) => sum + us, 0);
    return {
      script: ms(own.script),
      style: ms(own.style),
      layout: ms(own.layout),
      paint: ms(own.paint),
      gc: ms(own.gc),
      other: ms(cpuOf(task) - traced),
      wallMs: (task.dur ?? 0) / 1000,
      cpuMs: cpuOf(task) / 1000,
    };
  });
}

/** "script 3 ms, style 9 ms, layout 33 ms, paint 27 ms, gc 0 ms, other 2 ms" (CPU). */
export function describeBreakdown(task: TaskBreakdown): string {
  const parts = (['script', 'style', 'layout', 'paint', 'gc', 'other'] as const).map((activity) => `${activity} ${task[activity].toFixed(0)} ms`);
  return parts.join(', ');
}
