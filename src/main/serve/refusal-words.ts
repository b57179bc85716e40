// The words of `lockstep serve`'s refusals that a person meets before the station's page can load
// (it needs the cookie), so they cannot come from the renderer's i18n: each refusal has a stable code
// and its sentence in the renderer's two languages, chosen by the browser's Accept-Language as the
// page chooses its own (any `zh*` first is Simplified Chinese).

export const SERVE_REFUSALS = {
  /** The secret printed at this start has admitted as many browsers as one start admits. */
  ADMISSIONS_USED_UP: {
    en: (count: number) =>
      `this address has already admitted ${count} browsers, as many as one start of the station admits. ` +
      'Ask whoever runs the station to restart it: it prints a new address.',
    'zh-CN': (count: number) => `此地址已接纳 ${count} 个浏览器，已达工作站每次启动可接纳的上限。请让运行工作站的人重新启动它，届时会打印新的地址。`,
  },
} as const;

export type ServeRefusalCode = keyof typeof SERVE_REFUSALS;

/** The refusal as the browser's person reads it: the product, the code, the sentence in their language. */
export function serveRefusalText(code: ServeRefusalCode, acceptLanguage: string | undefined, count: number): string {
  const chinese = /^\s*zh\b/i.test(acceptLanguage ?? '');
  return chinese ? `Lockstep（${code}）：${SERVE_REFUSALS[code]['zh-CN'](count)}` : `Lockstep (${code}): ${SERVE_REFUSALS[code].en(count)}`;
}
