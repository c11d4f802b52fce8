import { Fragment, useEffect, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from "react";
import { clip, clipTitle, percent } from "../lib/format.js";
import s from "./ui.module.css";

export type Tone = "ok" | "warn" | "bad" | "info" | "idle";

export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(" ");
}

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "default" | "primary" | "danger" | "dangerSolid" | "ghost";
  size?: "normal" | "small";
}

export function Button({ variant = "default", size = "normal", className, type = "button", ...rest }: ButtonProps) {
  return <button type={type} className={cx(s.button, variant !== "default" && s[variant], size === "small" && s.small, className)} {...rest} />;
}

export function Badge({ tone = "idle", dot = false, children, title }: { tone?: Tone; dot?: boolean; children: ReactNode; title?: string }) {
  return (
    <span className={cx(s.badge, s[`tone-${tone}`])} title={title}>
      {dot && <span className={s.dot} aria-hidden="true" />}
      {children}
    </span>
  );
}

export function Panel({ title, subtitle, actions, children, flush = false, className, id }: { title?: ReactNode; subtitle?: ReactNode; actions?: ReactNode; children: ReactNode; flush?: boolean; className?: string; id?: string }) {
  return (
    <section className={cx(s.panel, className)} aria-labelledby={id && title ? `${id}-title` : undefined}>
      {(title !== undefined || actions !== undefined) && (
        <header className={s.panelHeader}>
          {title !== undefined && (
            <h2 className={s.panelTitle} id={id ? `${id}-title` : undefined}>
              {title}
            </h2>
          )}
          {subtitle !== undefined && <span className={s.panelSubtitle}>{subtitle}</span>}
          {actions !== undefined && <div className={s.panelActions}>{actions}</div>}
        </header>
      )}
      <div className={flush ? s.panelFlush : s.panelBody}>{children}</div>
    </section>
  );
}

export function StatTile({ label, value, unit, hint, testId }: { label: string; value: ReactNode; unit?: string; hint?: ReactNode; testId?: string }) {
  return (
    <div className={cx(s.panel, s.stat)} data-testid={testId}>
      <span className={s.statLabel}>{label}</span>
      <span className={s.statValue}>
        {value}
        {unit !== undefined && <span className={s.statUnit}>{unit}</span>}
      </span>
      {hint !== undefined && <span className={s.statHint}>{hint}</span>}
    </div>
  );
}

/** A horizontal bar; `label` is read by screen readers. Width is set through the CSSOM (CSP-safe). */
export function Meter({ value, max, label, warnAt = 80, badAt = 95 }: { value: number; max: number; label: string; warnAt?: number; badAt?: number }) {
  const p = percent(value, max);
  return (
    <div className={s.meter} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
      <div className={cx(s.meterFill, p >= badAt ? s.meterBad : p >= warnAt && s.meterWarn)} style={{ width: `${p}%` }} />
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className={s.empty}>
      <span className={s.emptyTitle}>{title}</span>
      {children}
    </div>
  );
}

/** A list that could not be loaded: the error's code and message, and a retry. */
export function LoadFailed({ title, error, onRetry }: { title: string; error: { code: string; message: string }; onRetry: () => void }) {
  return (
    <EmptyState title={title}>
      <span>
        <code>{error.code}</code> {error.message}
      </span>
      <Button size="small" onClick={onRetry}>
        Retry
      </Button>
    </EmptyState>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return <span className={s.spinner} role="status" aria-label={label} />;
}

export function Loading({ what }: { what: string }) {
  return (
    <div className={s.empty}>
      <Spinner label={`Loading ${what}`} />
      <span>Loading {what}…</span>
    </div>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function CopyButton({ text, label = "Copy", size = "small" }: { text: string; label?: string; size?: "small" | "normal" }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 1500);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <Button size={size} onClick={() => void copyText(text).then((ok) => setState(ok ? "copied" : "failed"))} aria-live="polite">
      {state === "copied" ? "Copied" : state === "failed" ? "Select & copy" : label}
    </Button>
  );
}

export function CodeBlock({ code, label, wrap = false }: { code: string; label: string; wrap?: boolean }) {
  return (
    <div className={s.codeBlock}>
      <div className={s.codeHeader}>
        <span>{label}</span>
        <CopyButton text={code} />
      </div>
      <pre aria-label={label} tabIndex={0} className={wrap ? s.codeWrap : undefined}>
        <code>{code}</code>
      </pre>
    </div>
  );
}

export function Tabs<T extends string>({ tabs, value, onChange, label }: { tabs: { id: T; label: string }[]; value: T; onChange: (id: T) => void; label: string }) {
  return (
    <div className={s.tabs} role="tablist" aria-label={label}>
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          className={s.tab}
          aria-selected={t.id === value}
          tabIndex={t.id === value ? 0 : -1}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => {
            const i = tabs.findIndex((x) => x.id === value);
            if (e.key === "ArrowRight") onChange((tabs[(i + 1) % tabs.length] as { id: T }).id);
            if (e.key === "ArrowLeft") onChange((tabs[(i - 1 + tabs.length) % tabs.length] as { id: T }).id);
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** A modal on the native <dialog> element: focus trap, Esc and backdrop for free. */
export function Dialog({ open, onClose, title, children, footer, wide = false }: { open: boolean; onClose: () => void; title: string; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className={cx(s.dialog, wide && s.dialogWide)} onClose={onClose} aria-label={title}>
      {open && (
        <>
          <div className={s.dialogHeader}>{title}</div>
          <div className={s.dialogBody}>{children}</div>
          {footer !== undefined && <div className={s.dialogFooter}>{footer}</div>}
        </>
      )}
    </dialog>
  );
}

export function ConfirmDialog({ open, title, body, confirmLabel, danger = false, busy = false, onConfirm, onCancel }: { open: boolean; title: string; body: ReactNode; confirmLabel: string; danger?: boolean; busy?: boolean; onConfirm: () => void; onCancel: () => void }) {
  return (
    <Dialog
      open={open}
      onClose={onCancel}
      title={title}
      footer={
        <>
          <Button onClick={onCancel} autoFocus>
            Keep as is
          </Button>
          <Button variant={danger ? "dangerSolid" : "primary"} onClick={onConfirm} disabled={busy}>
            {busy && <Spinner />}
            {confirmLabel}
          </Button>
        </>
      }
    >
      {body}
    </Dialog>
  );
}

/** A secret shown once (API keys, join tokens) with a copy button. */
export function SecretOnce({ secret, label }: { secret: string; label: string }) {
  return (
    <div className={s.secret} aria-label={label}>
      <code data-testid="secret-value">{secret}</code>
      <CopyButton text={secret} />
    </div>
  );
}

export function KeyValues({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className={s.kv}>
      {items.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/**
 * Text from workers or clients: clipped (lib/format.ts clip), the rest in a tooltip, and bidi-isolated
 * (<bdi>), so a right-to-left override in a name cannot reorder the text around it.
 */
export function Clip({ text, max }: { text: string; max?: number }) {
  const shown = clip(text, max);
  return <bdi title={shown === text ? undefined : clipTitle(text)}>{shown}</bdi>;
}
