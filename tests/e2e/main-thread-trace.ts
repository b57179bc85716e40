// The renderer's main thread as Chromium's tracing sees it: every task with its wall time and the
// CPU time the thread actually ran. On a loaded 2-core machine a task's wall time includes the time
// the thread waited for a core; its CPU time is the renderer's own work.
import type { CDPSession, Page } from '@playwright/test';

export interface TaskFigures {
  readonly tasks: number;
  /** The longest task by wall time (what the Long Tasks API reports), ms. */
  readonly maxWallMs: number;
  /** The most CPU time any one task used, ms. */
  readonly maxCpuMs: number;
  /** Tasks that ran on the CPU for more than 50 ms. */
  readonly overBudget: number;
}

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly dur?: number;
  readonly tdur?: number;
  readonly args?: { readonly name?: string };
}

export async function startMainThreadTrace(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReturnAsStream' });
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
  const parsed = JSON.parse(text) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const main = new Set(events.filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args?.name === 'CrRendererMain').map((event) => `${event.pid}:${event.tid}`));
  const tasks = events.filter((event) => event.ph === 'X' && event.name === 'RunTask' && main.has(`${event.pid}:${event.tid}`));
  const wall = tasks.map((task) => (task.dur ?? 0) / 1000);
  const cpu = tasks.map((task) => (task.tdur ?? task.dur ?? 0) / 1000);
  return { tasks: tasks.length, maxWallMs: Math.max(0, ...wall), maxCpuMs: Math.max(0, ...cpu), overBudget: cpu.filter((ms) => ms > 50).length };
}
