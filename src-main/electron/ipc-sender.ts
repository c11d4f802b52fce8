// Who may call the shell over IPC: the dashboard's main frame at the orchestrator's origin, nothing else
// (not an iframe, not a page the window was somehow navigated to, not a destroyed frame).
import { parseOrigin } from "./csp.js";

/** What the validator needs to know about `event.senderFrame` (null when the frame is gone). */
export interface SenderFrameInfo {
  url: string;
  /** `senderFrame.parent === null` */
  isMainFrame: boolean;
}

export function isTrustedSender(frame: SenderFrameInfo | null | undefined, orchestratorOrigin: string): boolean {
  if (!frame || !frame.isMainFrame) return false;
  const origin = parseOrigin(frame.url);
  return origin !== null && origin === orchestratorOrigin;
}
