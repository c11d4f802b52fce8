import { describe, expect, it } from "vitest";
import { isLocalAppOrigin, originAllowed } from "./allowed-origin.js";

describe("isLocalAppOrigin", () => {
  it("accepts http origins on the three loopback names a browser sends, any port", () => {
    for (const origin of ["http://localhost:5173", "http://localhost", "http://127.0.0.1:3000", "http://[::1]:8081", "http://[::1]"]) expect(isLocalAppOrigin(origin), origin).toBe(true);
  });

  it("refuses https, other hosts, look-alikes and anything that is not exactly an origin", () => {
    for (const origin of ["https://localhost:5173", "http://localhost.evil.example", "http://evil.example", "http://127.0.0.2:3000", "http://localhost:5173/", "http://user@localhost:5173", "http://LOCALHOST:5173", "null", "file://", ""]) {
      expect(isLocalAppOrigin(origin), origin).toBe(false);
    }
  });
});

describe("originAllowed", () => {
  const listed = () => ["http://app.example"];
  it("allows listed origins always, local apps only when switched on", () => {
    expect(originAllowed("http://app.example", { allowedOrigins: listed })).toBe(true);
    expect(originAllowed("http://localhost:5173", { allowedOrigins: listed })).toBe(false);
    expect(originAllowed("http://localhost:5173", { allowedOrigins: listed, allowLocalhost: () => false })).toBe(false);
    expect(originAllowed("http://localhost:5173", { allowedOrigins: listed, allowLocalhost: () => true })).toBe(true);
    expect(originAllowed("http://evil.example", { allowedOrigins: listed, allowLocalhost: () => true })).toBe(false);
  });
});
