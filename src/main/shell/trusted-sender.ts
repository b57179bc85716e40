// Which messages main answers: only those from the top frame of our own page. The page is the built
// renderer's file (any #route), or during `npm run dev` any page of the dev server's origin.
export type UrlCheck = (url: string) => boolean;

export function stationPageCheck(rendererFileUrl: string, devServerUrl: string | undefined): UrlCheck {
  if (devServerUrl) {
    const origin = new URL(devServerUrl).origin;
    return (url) => URL.canParse(url) && new URL(url).origin === origin;
  }
  return (url) => url.split('#')[0] === rendererFileUrl;
}

/** The part of Electron's WebFrameMain the check reads. */
export interface SenderFrame {
  readonly parent: unknown;
  readonly url: string;
}

export function isStationFrame(frame: SenderFrame | null | undefined, isStationPage: UrlCheck): boolean {
  return frame !== null && frame !== undefined && frame.parent === null && isStationPage(frame.url);
}
