import { describe, expect, it } from "vitest";
import { dropNullFields } from "./ollama-null-fields.js";

describe("dropNullFields (Ollama: null is not set)", () => {
  it("removes null-valued keys at any depth, keeps array elements and other falsy values", () => {
    const input = { model: "m", format: null, options: { seed: null, temperature: 0, stop: ["a", null] }, messages: [{ role: "user", content: "", images: null }], raw: false };
    expect(dropNullFields(input)).toEqual({ model: "m", options: { temperature: 0, stop: ["a", null] }, messages: [{ role: "user", content: "" }], raw: false });
    // The input is not changed.
    expect(input.format).toBeNull();
  });

  it("leaves a body nested deeper than 256 levels as it is, without overflowing the stack", () => {
    const deep: unknown = JSON.parse(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)},"b":null}`);
    expect(dropNullFields(deep)).toBe(deep);
  });

  it("keeps an own __proto__ key an own key (for the body check to refuse), never the copy's prototype", () => {
    const out = dropNullFields(JSON.parse('{"model":"m","__proto__":{"stream":false}}')) as Record<string, unknown>;
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.stream).toBeUndefined();
  });

  it("passes non-objects through", () => {
    expect(dropNullFields(null)).toBeNull();
    expect(dropNullFields("x")).toBe("x");
    expect(dropNullFields([1, null])).toEqual([1, null]);
  });
});
