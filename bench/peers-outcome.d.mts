export interface PortkeyTarget {
  provider: "openai";
  custom_host: string;
  api_key: string;
  weight: number;
}
export function portkeyLoadBalanceConfig(backendUrls: string[]): { strategy: { mode: "loadbalance" }; targets: PortkeyTarget[] };
export interface RequestResult {
  ok: boolean;
  kind: string;
  t0: number;
  t1: number;
}
export interface KillOutcome {
  requests: number;
  ok: number;
  lost: number;
  errors: Record<string, number>;
  in_flight_at_kill: number;
  in_flight_failed: number;
  recovered_ms: number | null;
  longest_gap_ms: number;
}
export function killOutcome(results: RequestResult[], killAt: number, end: number, settleMs?: number): KillOutcome;
export function rescuedInFlight(busyOnKilled: number, inFlightFailed: number): number;
