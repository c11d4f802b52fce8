import { useEffect } from "react";
import { useStore } from "zustand";
import { ui } from "../app-context.js";
import type { Toast } from "../stores/ui-store.js";
import s from "../app.module.css";
import { Button, CopyButton, cx } from "./ui.js";

function ToastItem({ toast }: { toast: Toast }) {
  useEffect(() => {
    const t = setTimeout(() => ui.getState().dismiss(toast.id), toast.kind === "error" ? 12_000 : 5_000);
    return () => clearTimeout(t);
  }, [toast.id, toast.kind]);
  const details = `${toast.code ?? ""} ${toast.title}: ${toast.message}`.trim();
  return (
    <div className={cx(s.toast, toast.kind === "error" && s.toastError, toast.kind === "success" && s.toastSuccess)} role={toast.kind === "error" ? "alert" : "status"} data-testid="toast">
      <div className={s.toastBody}>
        <span className={s.toastTitle}>
          {toast.title}
          {toast.code !== undefined && <span className={s.toastCode} data-testid="toast-code">{toast.code}</span>}
        </span>
        {toast.message !== "" && <span className={s.toastMessage}>{toast.message}</span>}
      </div>
      <div className={s.toastActions}>
        <Button size="small" variant="ghost" onClick={() => ui.getState().dismiss(toast.id)} aria-label="Dismiss">
          ✕
        </Button>
        {toast.kind === "error" && <CopyButton text={details} label="Copy" />}
      </div>
    </div>
  );
}

export function Toasts() {
  const toasts = useStore(ui, (st) => st.toasts);
  return (
    <div className={s.toasts} aria-live="polite">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}
